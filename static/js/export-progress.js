// Staff exports page: polls each running export's status and updates its progress bar.
// When an export finishes (or fails) the page reloads to show its download link or error.
(function () {
  "use strict";
  var POLL_MS = 2000;

  function poll(row) {
    var url = row.getAttribute("data-status-url");
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (job) {
        var bar = row.querySelector("progress");
        bar.max = job.total || 1;
        bar.value = job.done;
        bar.textContent = job.percent + " %";
        row.querySelector(".job-done").textContent = job.done;
        row.querySelector(".job-total").textContent = job.total;
        row.querySelector(".job-status").textContent = job.status;
        row.querySelector(".job-stage").textContent = job.stage || "";
        if (job.status === "queued" || job.status === "running") {
          window.setTimeout(function () { poll(row); }, POLL_MS);
        } else {
          window.location.reload();
        }
      })
      .catch(function () {
        // Network trouble: try again later; the refresh link still works.
        window.setTimeout(function () { poll(row); }, POLL_MS * 3);
      });
  }

  document.querySelectorAll("tr.export-job[data-status-url]").forEach(function (row) {
    window.setTimeout(function () { poll(row); }, POLL_MS);
  });
})();
