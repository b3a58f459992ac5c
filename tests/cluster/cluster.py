"""A two-node portal on 127.0.0.1, started from the deploy/ files (`make test-cluster`,
`bench/load.py`).

    Cluster(workdir).start() … stop()   (or `with Cluster(workdir) as cluster:`)

starts, each on a free port: an S3 server (moto_server), an SMTP sink that records every
message, a Redis server of its own (no other run's workers, limits or cached pages share it), a
fresh PostgreSQL database on the local server, then `flask db upgrade`,
`flask seed` and two accounts; two web nodes A and B, each with its own instance and search
index folder and its own indexer; one worker; and Debian's nginx in front of both nodes.

The processes are the systemd units of deploy/systemd/ (ExecStart, WorkingDirectory,
Environment and an EnvironmentFile with the keys of deploy/portal.env.example, written here),
with /srv/cac-portal read as this checkout and %i as the node's port; nginx runs the site of
deploy/nginx/ with only the upstream ports, the listen address and the static root changed.
Each process runs in a process group of its own, killed at the end (and on any failure).
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.fixtures.smtp import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SRV = "/srv/cac-portal"  # the checkout's place in the deploy files
ENV_FILE = "/etc/cac-portal/portal.env"  # the one EnvironmentFile of every unit
BIN = ROOT / ".venv" / "bin"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
BUCKET = "cac-cluster"
PASSWORD = "cluster tests passphrase"
STAFF_EMAIL = "staff@cluster.example"
MAKER_EMAIL = "qa@sd-biosensor.example"
MAKER_SLUG = "sd-biosensor"

SETUP_USERS = """
import sqlalchemy as sa
from catalogue import create_app
from catalogue.accounts.models import User
from catalogue.extensions import db
from catalogue.supplies.models import Manufacturer

app = create_app()
with app.app_context():
    maker = db.session.scalar(sa.select(Manufacturer).where(Manufacturer.slug == {maker!r}))
    for email, role, maker_id in (
        ({staff!r}, "staff", None),
        ({maker_email!r}, "manufacturer", maker.id),
    ):
        user = User(email=email, role=role, manufacturer_id=maker_id, name=email.split("@")[0])
        user.set_password({password!r})
        db.session.add(user)
    db.session.commit()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: Process, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            process.check_alive()
            time.sleep(0.1)
    raise RuntimeError(f"{process.name} did not open port {port}:\n{process.log_tail()}")


# --- The deploy files ----------------------------------------------------------------------


@dataclass
class Unit:
    """What the harness takes from a systemd unit: its command, folder and environment."""

    exec_start: list[str]
    working_directory: Path
    environment: dict[str, str]
    environment_file: str


def read_unit(name: str, instance: str = "") -> Unit:
    """deploy/systemd/<name>, with the checkout for /srv/cac-portal and `instance` for %i."""
    text = (DEPLOY / "systemd" / name).read_text()
    section = ""
    settings: dict[str, str] = {}
    environment: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        if section != "Service":
            continue
        value = value.replace(SRV, str(ROOT)).replace("%i", instance)
        if key == "Environment":
            environment.update(item.split("=", 1) for item in shlex.split(value))  # type: ignore[misc]
        else:
            settings[key] = value
    return Unit(
        exec_start=shlex.split(settings["ExecStart"]),
        working_directory=Path(settings["WorkingDirectory"]),
        environment=environment,
        environment_file=settings["EnvironmentFile"],
    )


_ENV_LINE = re.compile(r"^\s*(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines as systemd's EnvironmentFile reads them (comments and blanks skipped)."""
    values = {}
    for line in path.read_text().splitlines():
        match = _ENV_LINE.match(line)
        if match and not match.group(1):
            value = match.group(3).strip()
            if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            values[match.group(2)] = value
    return values


def documented_settings() -> tuple[set[str], set[str]]:
    """The keys deploy/portal.env.example sets, and those it only shows (commented out)."""
    active: set[str] = set()
    optional: set[str] = set()
    for line in (DEPLOY / "portal.env.example").read_text().splitlines():
        match = _ENV_LINE.match(line)
        if match:
            (optional if match.group(1) else active).add(match.group(2))
    return active, optional


def write_env_file(path: Path, values: dict[str, str]) -> None:
    active, optional = documented_settings()
    assert active <= values.keys(), f"not set: {sorted(active - values.keys())}"
    unknown = values.keys() - active - optional
    assert not unknown, f"not in deploy/portal.env.example: {sorted(unknown)}"
    path.write_text("".join(f'{key}="{value}"\n' for key, value in values.items()))
    path.chmod(0o600)


def nginx_site(upstreams: list[int], listen: int) -> str:
    """deploy/nginx/cac-portal.conf for 127.0.0.1 ports and this checkout's static folder."""
    text = (DEPLOY / "nginx" / "cac-portal.conf").read_text()
    servers = re.findall(r"^(\s*server )127\.0\.0\.1:\d+", text, flags=re.M)
    assert len(servers) == len(upstreams), "the site lists one server per web node"
    ports = iter(upstreams)
    text = re.sub(
        r"^(\s*server )127\.0\.0\.1:\d+",
        lambda match: f"{match.group(1)}127.0.0.1:{next(ports)}",
        text,
        flags=re.M,
    )
    listen_line = rf"\g<1>listen 127.0.0.1:{listen};"
    text, listens = re.subn(r"^(\s*)listen 80;", listen_line, text, flags=re.M)
    assert listens == 1 and f"{SRV}/static/" in text
    return text.replace(f"{SRV}/static/", f"{ROOT}/static/")


NGINX_MAIN = """daemon off;
master_process on;
worker_processes 1;
{user}pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client-body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/cac-portal.conf;
}}
"""


# --- Processes -----------------------------------------------------------------------------


@dataclass
class Process:
    """A command in a process group of its own, its output in a log file."""

    name: str
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> None:
        with self.log.open("a") as log:
            self.popen = subprocess.Popen(
                self.argv, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def check_alive(self) -> None:
        if self.popen is not None and self.popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole group: a node's workers die with its master, as with a machine."""
        if self.popen is None:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass
        if sig == signal.SIGKILL:
            self.popen.wait()

    def stop(self, grace: float = 5) -> None:
        if self.alive:
            self.kill(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)  # type: ignore[union-attr]
            except subprocess.TimeoutExpired:
                pass
        self.kill(signal.SIGKILL)  # whatever is left of the group
        self.popen = None

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Node:
    name: str
    port: int
    instance: Path
    env: dict[str, str]
    web: Process
    indexer: Process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Cluster:
    def __init__(
        self, workdir: Path, web_concurrency: int = 2, extra_env: dict[str, str] | None = None
    ):
        self.workdir = workdir
        self.web_concurrency = web_concurrency
        # Settings no deployment has (the load test's RATELIMIT_ENABLED=0), beside the env file.
        self.extra_env = extra_env or {}
        self.processes: list[Process] = []
        self.nodes: dict[str, Node] = {}
        self.timings: list[tuple[str, float]] = []
        self.database = f"cac_cluster_{secrets.token_hex(4)}"
        self.database_created = False
        self.smtp: SmtpServer | None = None
        self.nginx_port = free_port()
        self.url = f"http://127.0.0.1:{self.nginx_port}"
        self.secret_key = secrets.token_hex(32)

    # -- public ----------------------------------------------------------------------------

    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def database_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.database}"

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None
        if self.database_created:
            self._postgres(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self.database_created = False

    def restart_web(self, name: str) -> None:
        node = self.nodes[name]
        node.web.start()
        self._wait_healthy(node.url, node.web)

    def kill_web(self, name: str) -> None:
        self.nodes[name].web.kill(signal.SIGKILL)

    def logs(self) -> str:
        """The end of every process's log, for a failing test's report."""
        return "\n".join(f"--- {p.name}\n{p.log_tail(25)}" for p in self.processes)

    def print_timings(self) -> None:
        for label, seconds in self.timings:
            print(f"cluster: {label:<40} {seconds:6.1f} s")

    # -- start-up --------------------------------------------------------------------------

    def _timed(self, label: str, started: float) -> None:
        self.timings.append((label, time.monotonic() - started))

    def _start(self) -> None:
        started = time.monotonic()
        redis_port, s3_port = free_port(), free_port()
        redis = self._process(
            "redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                      "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
        )  # fmt: skip
        s3 = self._process("s3", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)])
        smtp = self.smtp = SmtpServer()
        smtp.start()
        self._postgres(f'CREATE DATABASE "{self.database}"')
        self.database_created = True
        wait_for_port(redis_port, redis)
        wait_for_port(s3_port, s3)
        self.s3_endpoint = f"http://127.0.0.1:{s3_port}"
        self.s3().create_bucket(Bucket=BUCKET)
        self._timed("redis, S3, SMTP, database", started)

        self.shared = {
            "FLASK_CONFIG": "production",
            "SITE_URL": self.url,
            "SECRET_KEY": self.secret_key,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "REDIS_KEY_PREFIX": f"cluster-{self.database}",
            "STORAGE_URL": f"s3://{BUCKET}/portal",
            "S3_ENDPOINT_URL": self.s3_endpoint,
            "S3_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "cluster",
            "AWS_SECRET_ACCESS_KEY": "cluster",
            # Two proxies append to X-Forwarded-For: the test client plays a load balancer in
            # front of nginx, so requests with different X-Forwarded-For are different clients.
            "TRUSTED_PROXIES": "2",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp.port),
            "MAIL_USE_TLS": "0",
            "MAIL_DEFAULT_SENDER": "CAC Medical Supplies <noreply@cluster.example>",
        }

        started = time.monotonic()
        worker_env = self._env_file("worker", self.workdir / "worker")
        for command in (["db", "upgrade"], ["seed"]):
            self._run([str(BIN / "flask"), *command], worker_env)
        self._run(
            [sys.executable, "-c", SETUP_USERS.format(
                maker=MAKER_SLUG, staff=STAFF_EMAIL, maker_email=MAKER_EMAIL, password=PASSWORD
            )],
            worker_env,
        )  # fmt: skip
        self._timed("flask db upgrade, seed, accounts", started)

        started = time.monotonic()
        for name in ("A", "B"):
            self.nodes[name] = self._node(name)
        self.worker = self._unit("worker", "cac-worker@.service", worker_env, "1")
        self._start_nginx()
        for node in self.nodes.values():
            self._wait_healthy(node.url, node.web)
        self._wait_healthy(self.url, self.nginx)
        time.sleep(1)
        self.worker.check_alive()
        for node in self.nodes.values():
            node.indexer.check_alive()
        self._timed("nodes A and B, worker, nginx", started)

    def _node(self, name: str) -> Node:
        instance = self.workdir / f"node-{name}"
        env = self._env_file(f"node-{name}", instance)
        self._run([str(BIN / "flask"), "search", "reindex"], env)
        port = free_port()
        return Node(
            name=name,
            port=port,
            instance=instance,
            env=env,
            web=self._unit(f"web {name}", "cac-web@.service", env, str(port)),
            indexer=self._unit(f"indexer {name}", "cac-indexer.service", env),
        )

    def _unit(self, name: str, unit_name: str, env: dict[str, str], instance: str = "") -> Process:
        """Start a unit's command; as in systemd, the EnvironmentFile's values win over the
        unit's Environment= lines."""
        unit = read_unit(unit_name, instance)
        assert unit.environment_file == ENV_FILE, unit_name
        return self._process(
            name, unit.exec_start, unit.working_directory, {**unit.environment, **env}
        )

    def _env_file(self, name: str, instance: Path) -> dict[str, str]:
        """Write the machine's EnvironmentFile and read it back as systemd would."""
        instance.mkdir(parents=True, exist_ok=True)
        path = self.workdir / f"{name}.env"
        write_env_file(
            path,
            {
                **self.shared,
                "INSTANCE_DIR": str(instance),
                "SEARCH_INDEX_DIR": str(instance / "search-index"),
                "WEB_CONCURRENCY": str(self.web_concurrency),
            },
        )
        base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
        return {**base, **read_env_file(path), **self.extra_env}

    def _start_nginx(self) -> None:
        folder = self.workdir / "nginx"
        folder.mkdir()
        ports = [node.port for node in self.nodes.values()]
        (folder / "cac-portal.conf").write_text(nginx_site(ports, self.nginx_port))
        # As root, nginx's workers would run as nobody; they read this checkout and write here.
        user = f"user {pwd.getpwuid(os.getuid()).pw_name};\n" if os.getuid() == 0 else ""
        (folder / "nginx.conf").write_text(NGINX_MAIN.format(dir=folder, user=user))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        argv = [nginx, "-p", str(folder), "-c", str(folder / "nginx.conf")]
        argv += ["-e", str(folder / "error.log")]  # not the system's log, even at start-up
        self._run([*argv, "-t", "-q"], dict(os.environ))
        self.nginx = self._process("nginx", argv)

    def _wait_healthy(self, url: str, process: Process, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310 (ours)
                    return
            except OSError:
                process.check_alive()
                time.sleep(0.2)
        raise RuntimeError(f"{process.name} did not answer {url}/healthz:\n{process.log_tail()}")

    def _process(
        self, name: str, argv: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None
    ) -> Process:
        log = self.workdir / f"{name.replace(' ', '-')}.log"
        process = Process(name, argv, cwd, env or dict(os.environ), log)
        self.processes.append(process)
        process.start()
        return process

    def _run(self, argv: list[str], env: dict[str, str]) -> None:
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")

    def _postgres(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(statement)

    # -- looking inside ---------------------------------------------------------------------

    def s3(self):
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.s3_endpoint, region_name="us-east-1",
            aws_access_key_id="cluster", aws_secret_access_key="cluster",
        )  # fmt: skip

    def s3_objects(self) -> dict[str, bytes]:
        client = self.s3()
        listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return {
            item["Key"]: client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
            for item in listed
        }

    def sql(self, query: str, **params) -> list[tuple]:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/{self.database}") as conn:
            return list(conn.execute(query, params).fetchall())
