"""The OpenAPI 3 document of the public API (kept beside the serializers it describes)."""

from catalogue.search.registry import REGISTRY
from catalogue.supplies.models import AUTHORITIES
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

APPROVAL = {
    "type": "object",
    "required": ["authority", "authority_label", "reference_number", "date", "status"],
    "properties": {
        "authority": {"type": "string", "enum": list(AUTHORITIES)},
        "authority_label": STR,
        "reference_number": NSTR,
        "date": _nullable({"type": "string", "description": "YYYY, YYYY-MM or YYYY-MM-DD"}),
        "status": {"type": "string", "enum": ["claimed", "verified"]},
        "note": NSTR,
        "public_sources": STRS,
    },
}

PERFORMANCE = {
    "type": "object",
    "required": ["study", "measure", "sensitivity", "specificity", "reported_by"],
    "properties": {
        "study": STR,
        "measure": {"type": "string", "enum": ["sens_spec", "ppa_npa"]},
        "sensitivity": NNUM,
        "sensitivity_ci": {"type": "array", "items": NNUM},
        "specificity": NNUM,
        "specificity_ci": {"type": "array", "items": NNUM},
        "sample_size": NINT,
        "reported_by": STR,
        "note": NSTR,
    },
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
        "hs_code": NSTR,
        "approvals": {"type": "array", "items": APPROVAL},
        "performance": {"type": "array", "items": PERFORMANCE},
        "public_sources": STRS,
        "updated_at": _nullable({"type": "string", "format": "date-time"}),
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
        "schema": {"type": "array", "items": ARG},
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


def openapi_document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "CAC Medical Supplies Export Portal API",
            "version": "1.0.0",
            "description": (
                "Read-only data on Korean COVID-19 diagnostics and their manufacturers. "
                "Facts unknown to the portal are null ('on request'), never estimated. "
                "Every response allows cross-origin reads."
            ),
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
                "Approval": APPROVAL,
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
