"""The mixed workload of bench/load.py: 70 % catalogue pages, 20 % search, 5 % spec sheets,
5 % inquiry submissions (each a real form: GET for the CSRF token, then POST)."""

import os
import random
import re
from datetime import date, timedelta

from locust import FastHttpUser, between, task

# bench/load.py passes what exists in the database it seeded.
PRODUCTS = os.environ["LOAD_PRODUCTS"].split(",")
MAKERS = os.environ["LOAD_MAKERS"].split(",")
QUERIES = ["antigen", "rt-pcr", "saliva", "nasopharyngeal", "sd biosensor", "antibody", "covid",
           "seegene", "transport medium", "rapid test", "antigne", "elisa"]  # fmt: skip
SEARCH_PATH = os.environ["LOAD_SEARCH_PATH"]
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FUTURE = (date.today() + timedelta(days=60)).isoformat()


class Officer(FastHttpUser):
    wait_time = between(0, 0)

    @task(70)
    def browse(self):
        kind = random.random()
        if kind < 0.5:
            self.client.get(f"/supplies/products/{random.choice(PRODUCTS)}", name="catalogue")
        elif kind < 0.75:
            category = random.choice(["rt-pcr", "rapid-antigen", "rapid-antibody", ""])
            self.client.get(f"/supplies/products/?category={category}", name="catalogue")
        else:
            self.client.get(f"/supplies/manufacturers/{random.choice(MAKERS)}", name="catalogue")

    @task(20)
    def search(self):
        self.client.get(f"{SEARCH_PATH}?q={random.choice(QUERIES)}", name="search")

    @task(5)
    def spec_sheet(self):
        self.client.get(f"/supplies/products/{random.choice(PRODUCTS)}/spec-sheet.pdf", name="pdf")

    @task(5)
    def inquiry(self):
        slug = random.choice(PRODUCTS)
        form = self.client.get(f"/inquiry/new?product={slug}", name="inquiry form")
        match = TOKEN.search(form.text or "")
        if not match:
            return
        data = {
            "csrf_token": match.group(1), "lines-0-product": slug, "lines-0-quantity": "1000",
            "lines-0-unit": "tests", "name": "Load Test", "organisation": "Load Test City",
            "email": "load@city.example", "country": "BR", "required_by": FUTURE, "consent": "y",
        }  # fmt: skip
        with self.client.post(
            "/inquiry/new", data=data, name="inquiry", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code == 302:
                response.success()
            else:
                response.failure(f"status {response.status_code}")
