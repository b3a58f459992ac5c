"""The OpenAPI 3 document of the public API (kept beside the serializers it describes)."""

from catalogue.search.registry import REGISTRY
from catalogue.supplies.models import (
    APPROVAL_STATES,
    AUTHORITIES,
    PERFORMANCE_STATES,
    REPORTERS,
    STATE_LABELS,
)
from catalogue.supplies.services import FACETS, MAX_QUERY_LENGTH


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


STR = {"type": "string"}
# Query text may hold any character but NUL (answered with 400).
ARG = {"type": "string", "pattern": "^[^\\x00]*$"}
NSTR = _nullable(STR)
NINT = _nullable({"type": "integer"})
NNUM = _nullable({"type": "number"})
STRS = {"type": "array", "items": STR}
URL = {"type": "string", "format": "uri"}

REF = {"slug": STR, "name": STR}

DATE = {"type": "string", "format": "date"}
NDATE = _nullable(DATE)
# Every timestamp carries its UTC offset (RFC 3339), which "date-time" requires.
NTIMESTAMP = _nullable({"type": "string", "format": "date-time"})

# Rejected facts are never served, so neither their status nor their state appears.
APPROVAL_STATUSES = [s for s in APPROVAL_STATES if s != "rejected"]
APPROVAL_STATE_NAMES = [s for s in STATE_LABELS if s in APPROVAL_STATUSES or s == "expired"]
PERFORMANCE_STATUSES = [s for s in PERFORMANCE_STATES if s != "rejected"]


def _provenance(states: list[str]) -> dict:
    return {
        "status": {
            "type": "string",
            "enum": [s for s in states if s != "expired"],
            "description": "The stored state",
        },
        "state": {
            "type": "string",
            "enum": states,
            "description": (
                "Where the fact stands today: public_source (stated in a public source), "
                "claimed (by the manufacturer), verified (by CAC staff, with evidence)"
                + (", expired (valid_until has passed) or revoked" if "expired" in states else "")
            ),
        },
        "state_label": {"type": "string", "enum": [STATE_LABELS[s] for s in states]},
        "evidence": {
            "nullable": True,
            "description": "What the CAC staff check recorded; null unless status is verified",
            "allOf": [{"$ref": "#/components/schemas/Evidence"}],
        },
    }


EVIDENCE = {
    "type": "object",
    "required": ["reference", "register_url", "checked_on", "checked_by", "verified_at", "note"],
    "properties": {
        "reference": _nullable({**STR, "description": "Certificate or register number"}),
        "register_url": _nullable({**STR, "description": "The official register entry checked"}),
        "checked_on": _nullable({**DATE, "description": "The day staff checked the evidence"}),
        "checked_by": {**STR, "description": "Who checked it"},
        "verified_at": _nullable(
            {"type": "string", "format": "date-time", "description": "When it was recorded"}
        ),
        "note": NSTR,
    },
}

APPROVAL_PROPS = {
    "authority": {"type": "string", "enum": list(AUTHORITIES)},
    "authority_label": {**STR, "description": "As the source words it, where it says"},
    "stated_as": _nullable({**STR, "description": "The authority's label exactly as stated"}),
    "reference_number": NSTR,
    "date": _nullable({"type": "string", "description": "YYYY, YYYY-MM or YYYY-MM-DD"}),
    "date_as_stated": _nullable(
        {**STR, "description": "A vague date as the source gives it (e.g. 'late 2020')"}
    ),
    "valid_from": NDATE,
    "valid_until": NDATE,
    "revoked_on": NDATE,
    **_provenance(APPROVAL_STATE_NAMES),
    "note": NSTR,
    "public_sources": STRS,
    "updated_at": NTIMESTAMP,
}
APPROVAL = {"type": "object", "required": list(APPROVAL_PROPS), "properties": APPROVAL_PROPS}

PERFORMANCE_PROPS = {
    "study": STR,
    "measure": {"type": "string", "enum": ["sens_spec", "ppa_npa"]},
    "sensitivity_qualifier": _nullable(
        {**STR, "description": "As the source puts it before the figure ('up to', '~')"}
    ),
    "sensitivity": NNUM,
    "sensitivity_ci": {
        "type": "array",
        "items": NNUM,
        "description": "The interval as the source gives it (its confidence level unstated)",
    },
    "specificity_qualifier": NSTR,
    "specificity": NNUM,
    "specificity_ci": {"type": "array", "items": NNUM},
    "sample_size": NINT,
    "reported_by": {"type": "string", "enum": list(REPORTERS)},
    "reporter_label": {"type": "string", "enum": list(REPORTERS.values())},
    **_provenance(PERFORMANCE_STATUSES),
    "note": NSTR,
    "public_sources": STRS,
}
PERFORMANCE = {
    "type": "object",
    "required": list(PERFORMANCE_PROPS),
    "properties": PERFORMANCE_PROPS,
}

PRODUCT_SUMMARY_PROPS = {
    "slug": STR,
    "name": STR,
    "model_number": NSTR,
    "manufacturer": {"type": "object", "required": ["slug", "name"], "properties": REF},
    "category": {"type": "object", "required": ["slug", "name"], "properties": REF},
    "technology": NSTR,
    "specimen_types": STRS,
    "summary": NSTR,
    "url": URL,
    "page_url": URL,
}
PRODUCT_SUMMARY = {
    "type": "object",
    "required": list(PRODUCT_SUMMARY_PROPS) + ["approvals"],
    "properties": {
        **PRODUCT_SUMMARY_PROPS,
        "approvals": {
            "type": "array",
            "description": "Authorities of the product's approvals (rejected claims excluded)",
            "items": {"type": "string", "enum": list(AUTHORITIES)},
        },
    },
}
NDECIMAL = _nullable({"type": "string", "pattern": r"^\d+(\.\d+)?$"})
INDICATIVE_PRICE = _nullable(
    {
        "type": "object",
        "description": "An indicative price per test as the manufacturer gave it (not a "
        "quotation); null when none was given",
        "required": ["min", "max", "currency", "per", "given_on", "entered_by"],
        "properties": {
            "min": NDECIMAL,
            "max": NDECIMAL,
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217"},
            "per": {"type": "string", "enum": ["test"]},
            "given_on": NDATE,
            "entered_by": _nullable({"type": "string", "enum": ["manufacturer", "staff"]}),
        },
    }
)
PRODUCT = {
    "type": "object",
    "required": list(PRODUCT_SUMMARY_PROPS) + ["approvals", "performance", "public_sources"],
    "properties": {
        **PRODUCT_SUMMARY_PROPS,
        "description": NSTR,
        "intended_use": NSTR,
        "self_test": {"type": "boolean"},
        "targets": STRS,
        "limit_of_detection": NSTR,
        "time_to_result": NSTR,
        "tests_per_kit": NINT,
        "storage_temperature": NSTR,
        "shelf_life_months": NINT,
        "compatible_instruments": STRS,
        "production_capacity": NSTR,
        "moq": NINT,
        "unit": NSTR,
        "lead_time": NSTR,
        "pack_size": NSTR,
        "indicative_price": INDICATIVE_PRICE,
        "hs_code": NSTR,
        "approvals": {"type": "array", "items": {"$ref": "#/components/schemas/Approval"}},
        "performance": {
            "type": "array",
            "description": "Performance results (rejected ones excluded)",
            "items": {"$ref": "#/components/schemas/Performance"},
        },
        "public_sources": STRS,
        "updated_at": NTIMESTAMP,
    },
}
MANUFACTURER_SUMMARY_PROPS = {
    "slug": STR,
    "name": STR,
    "name_ko": NSTR,
    "location": NSTR,
    "website": _nullable(URL),
    "verification_status": STR,
    "product_count": {"type": "integer", "minimum": 0},
    "url": URL,
    "page_url": URL,
}
MANUFACTURER_SUMMARY = {
    "type": "object",
    "required": list(MANUFACTURER_SUMMARY_PROPS),
    "properties": MANUFACTURER_SUMMARY_PROPS,
}
MANUFACTURER = {
    "type": "object",
    "required": list(MANUFACTURER_SUMMARY_PROPS) + ["products"],
    "properties": {
        **MANUFACTURER_SUMMARY_PROPS,
        "description": NSTR,
        "founded_year": NINT,
        "employees": NINT,
        "city": NSTR,
        "province": NSTR,
        "contact_email": NSTR,
        "contact_phone": NSTR,
        "export_permission_number": NSTR,
        "quality_certifications": STRS,
        "public_sources": STRS,
        "products": {"type": "array", "items": {"$ref": "#/components/schemas/ProductSummary"}},
    },
}
SEARCH_ITEM = {
    "type": "object",
    "required": ["type", "slug", "title", "subtitle", "snippet", "url", "page_url"],
    "properties": {
        "type": {"type": "string", "enum": list(REGISTRY)},
        "slug": STR,
        "title": STR,
        "subtitle": STR,
        "snippet": {"type": "string", "description": "Plain text around the matched words"},
        "url": _nullable({**URL, "description": "The API resource, where the type has one"}),
        "page_url": URL,
    },
}
ERROR = {
    "type": "object",
    "required": ["error", "message", "status"],
    "properties": {"error": STR, "message": STR, "status": {"type": "integer"}},
}


def _page_of(ref: str, extra: dict | None = None) -> dict:
    props = {
        "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
        "total": {"type": "integer", "minimum": 0},
        **(extra or {}),
    }
    return {"type": "object", "required": list(props), "properties": props}


PAGING_PARAMS = [
    {
        "name": "page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1},
    },
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    },
]
Q_PARAM = {
    "name": "q",
    "in": "query",
    "description": "Words to look for (names, model numbers, makers, specimen, technology)",
    "schema": {**ARG, "maxLength": MAX_QUERY_LENGTH},
}
FACET_PARAMS = [
    {
        "name": facet,
        "in": "query",
        "description": f"Filter by {label.lower()} (repeat for several values: any of them)",
        "schema": {"type": "array", "items": {**ARG, "minLength": 1}},
        "style": "form",
        "explode": True,
    }
    for facet, label in FACETS.items()
]
SLUG_PARAM = {"name": "slug", "in": "path", "required": True, "schema": STR}


def _json(ref: str, description: str) -> dict:
    return {
        "description": description,
        "headers": {"Access-Control-Allow-Origin": {"schema": {"type": "string"}}},
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


BAD_REQUEST = {"400": _json("Error", "Invalid query argument")}
NOT_FOUND = {"404": _json("Error", "No such resource")}


def openapi_document(open_data_url: str) -> dict:
    """The document; `open_data_url` is the absolute address of the open data page."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "CAC Medical Supplies Export Portal API",
            "version": "1.0.0",
            "description": (
                "Read-only data on Korean COVID-19 diagnostics and their manufacturers. "
                "Facts unknown to the portal are null ('on request'), never estimated. "
                "Each approval and performance result says where it stands (state): stated "
                "in a public source, claimed by the manufacturer, verified by CAC staff (with "
                "the evidence checked), expired or revoked. Timestamps carry their UTC offset. "
                "Every response allows cross-origin reads. The whole catalogue is also open "
                f"data, as CSV and JSON with a Frictionless data package: {open_data_url}"
            ),
        },
        "externalDocs": {
            "description": "Open data: the catalogue as CSV and JSON, with its data package",
            "url": open_data_url,
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/products": {
                "get": {
                    "summary": "Published products, filtered by facets",
                    "operationId": "listProducts",
                    "parameters": [Q_PARAM, *FACET_PARAMS, *PAGING_PARAMS],
                    "responses": {"200": _json("ProductPage", "A page of products"), **BAD_REQUEST},
                }
            },
            "/api/v1/products/{slug}": {
                "get": {
                    "summary": "One published product",
                    "operationId": "getProduct",
                    "parameters": [SLUG_PARAM],
                    "responses": {"200": _json("Product", "The product"), **NOT_FOUND},
                }
            },
            "/api/v1/manufacturers": {
                "get": {
                    "summary": "Manufacturers, by name",
                    "operationId": "listManufacturers",
                    "parameters": PAGING_PARAMS,
                    "responses": {
                        "200": _json("ManufacturerPage", "A page of manufacturers"),
                        **BAD_REQUEST,
                    },
                }
            },
            "/api/v1/manufacturers/{slug}": {
                "get": {
                    "summary": "One manufacturer with its published products",
                    "operationId": "getManufacturer",
                    "parameters": [SLUG_PARAM],
                    "responses": {"200": _json("Manufacturer", "The manufacturer"), **NOT_FOUND},
                }
            },
            "/api/v1/search": {
                "get": {
                    "summary": "Full-text search across products, manufacturers and categories",
                    "operationId": "search",
                    "parameters": [
                        Q_PARAM,
                        {
                            "name": "type",
                            "in": "query",
                            "schema": {"type": "string", "enum": list(REGISTRY)},
                        },
                        *FACET_PARAMS,
                        *PAGING_PARAMS,
                    ],
                    "responses": {"200": _json("SearchPage", "A page of results"), **BAD_REQUEST},
                }
            },
        },
        "components": {
            "schemas": {
                "Error": ERROR,
                "Evidence": EVIDENCE,
                "Approval": APPROVAL,
                "Performance": PERFORMANCE,
                "ProductSummary": PRODUCT_SUMMARY,
                "Product": PRODUCT,
                "ManufacturerSummary": MANUFACTURER_SUMMARY,
                "Manufacturer": MANUFACTURER,
                "SearchItem": SEARCH_ITEM,
                "ProductPage": _page_of("ProductSummary"),
                "ManufacturerPage": _page_of("ManufacturerSummary"),
                "SearchPage": _page_of(
                    "SearchItem",
                    {
                        "query": STR,
                        "total_is_exact": {"type": "boolean"},
                        "did_you_mean": NSTR,
                        "degraded": {
                            "type": "boolean",
                            "description": "True while the index is rebuilt (simpler matching)",
                        },
                    },
                ),
            }
        },
    }
