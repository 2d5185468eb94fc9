"""The OpenAPI 3.1 description served at /openapi.json.

As in the orders backend it doubles as the request validator (api.py checks every JSON body against
the schema named here), and the tests check real responses against it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from contracts.consent import CONSENT_KEY
from service_kit import openapi as common
from service_kit.openapi import ERROR_SCHEMA
from service_kit.openapi import nullable as _nullable
from service_kit.openapi import obj as _object
from service_kit.openapi import ref as _ref
from service_kit.openapi import schema_for as schema_for

CODE_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$"
KEY_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$"
NO_CONTROL = "^[^\\u0000-\\u001f\\u007f]*$"


def _string(max_length: int = 200, min_length: int = 0, **extra: Any) -> dict[str, Any]:
    """Free text without control characters (they have no business in ids or reasons, and
    PostgreSQL refuses NUL in text)."""
    return {"type": "string", "minLength": min_length, "maxLength": max_length, "pattern": NO_CONTROL, **extra}


MONEY = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "examples": ["59.90"]}
PRICE_IN = {
    "description": 'a price: a decimal string like "59.90" or a JSON number',
    "anyOf": [
        {"type": "string", "pattern": r"^[0-9]{1,9}(\.[0-9]{1,2})?$"},
        {"type": "number", "exclusiveMinimum": 0, "maximum": 999999999},
    ],
}
AMOUNT_IN = {"type": "number", "exclusiveMinimum": 0, "maximum": 999999999}
PERCENT_IN = {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 100}
TIMESTAMP = {"type": "string", "format": "date-time"}
TIER = {"type": "string", "enum": ["new", "regular", "vip"]}
KIND = {"type": "string", "enum": ["percent", "amount"], "description": "percent off, or an amount off"}
CUSTOMER_ID = _string(64, 1)
COUNT = {"type": "integer", "minimum": 1, "maximum": 1000000}
STOCK = {"type": "integer", "minimum": 0, "maximum": 1000000000}

ADJUSTMENT = _object(
    {
        "kind": {"type": "string", "enum": ["sale", "stock", "tier", "learned", "coupon", "guardrail"]},
        "amount": {**MONEY, "description": "change of the unit price; negative is cheaper"},
        "price_after": MONEY,
        "explanation": {"type": "string", "examples": ["10% VIP discount applied"]},
    }
)

PERCENT_OUT = {"type": "number", "minimum": 0, "maximum": 100}
LEARNED_OFFER = _object(
    {
        "product_group": {"type": "string", "description": "the first levels of the category path"},
        "segment": {"type": "string", "description": "from allow-listed features only (the customer tier)"},
        "discount": {**PERCENT_OUT, "description": "the learned discount in percent; 0: none"},
        "price": {**MONEY, "description": "the price after the learned offer, before coupons"},
        "previous_discount": PERCENT_OUT,
        "clipped": {
            **_nullable({"type": "string"}),
            "description": "the bound that stopped the best-sampled discount, e.g. under the minimum margin of 10%",
        },
        "explanation": {"type": "string"},
    }
)
LEARNER_ARM = _object(
    {
        "product_group": {"type": "string"},
        "segment": {"type": "string"},
        "discount": PERCENT_OUT,
        "alpha": {"type": "number"},
        "beta": {"type": "number"},
        "mean": {"type": "number", "description": "posterior mean of the purchase chance"},
        "sd": {"type": "number"},
        "offers": {"type": "integer"},
        "purchases": {"type": "integer"},
    }
)
FAIRNESS_SEGMENT = _object(
    {
        "segment": {"type": "string"},
        "quotes": {"type": "integer"},
        "customers": {"type": "integer"},
        "mean_base_price": {"type": "number"},
        "mean_unit_price": {"type": "number"},
        "mean_discount_percent": {"type": "number"},
        "discounted_share": {"type": "number"},
        "learned_offers": {"type": "integer"},
        "mean_learned_discount_percent": {"type": "number"},
        "coupon_share": {"type": "number"},
    }
)

SCHEMAS: dict[str, Any] = {
    "Error": ERROR_SCHEMA,
    "Health": _object({"status": {"type": "string", "enum": ["ok"]}, "database": {"type": "string"}}),
    "QuoteRequest": {
        **_object(
            {
                "sku": _string(64, 1),
                "product_id": _string(200, 1),
                "category": {**_string(300, 1), "description": "category path from the product graph"},
                "base_price": {**PRICE_IN, "description": "the catalogue price (the product graph owns it)"},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "default": "USD"},
                "quantity": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1},
                "customer_id": CUSTOMER_ID,
                "customer_tier": TIER,
                "coupon_code": _string(32, 1),
                "stock": {**STOCK, "description": "units in stock, for stock rules"},
                CONSENT_KEY: {
                    "type": "boolean",
                    "default": False,
                    "description": "the shopper consented to personalisation; without it customer_id and "
                    "customer_tier give no tier discount or personal price (a coupon still applies)",
                },
            },
            required=["base_price"],
        ),
        "anyOf": [{"required": ["sku"]}, {"required": ["product_id"]}],
    },
    "Adjustment": ADJUSTMENT,
    "Quote": _object(
        {
            "quote_id": {"type": "integer"},
            "quoted_at": TIMESTAMP,
            "sku": _nullable({"type": "string"}),
            "product_id": _nullable({"type": "string"}),
            "currency": {"type": "string"},
            "quantity": {"type": "integer"},
            "base_price": MONEY,
            "shelf_price": {**MONEY, "description": "the public price after sales, stock rules and change limits"},
            "unit_price": {**MONEY, "description": "the final price per unit for this customer"},
            "total": MONEY,
            "customer_tier": _nullable(TIER),
            "tier_source": {"type": "string", "enum": ["given", "recorded", "derived", "anonymous", "no_consent"]},
            "coupon_code": _nullable({"type": "string"}),
            "coupon_applied": {"type": "boolean"},
            "adjustments": {"type": "array", "items": _ref("Adjustment")},
            "notes": {"type": "array", "items": {"type": "string"}, "description": "rules that did not apply, and why"},
            "guardrail": {
                **_nullable({"type": "string"}),
                "description": "the guardrail that bound the price, e.g. held at the floor price of $20.00",
            },
            "learner": {
                **_nullable(_ref("LearnedOffer")),
                "description": "the price learner's decision; null when it is off or low stock withheld it",
            },
        }
    ),
    "LearnedOffer": LEARNED_OFFER,
    "OutcomeRequest": _object({"bought": {"type": "boolean", "description": "did the shopper buy after this quote"}}),
    "Outcome": _object(
        {"quote_id": {"type": "integer"}, "bought": {"type": "boolean"}, "arm": _nullable(_ref("LearnerArm"))}
    ),
    "LearnerArm": LEARNER_ARM,
    "LearnerArmList": _object({"enabled": {"type": "boolean"}, "arms": {"type": "array", "items": _ref("LearnerArm")}}),
    "FairnessSegment": FAIRNESS_SEGMENT,
    "FairnessReport": _object(
        {
            "since": TIMESTAMP,
            "until": TIMESTAMP,
            "segment_features": {"type": "array", "items": {"type": "string"}},
            "segments": {"type": "array", "items": _ref("FairnessSegment")},
            "max_discount_gap_percent": {"type": "number"},
        }
    ),
    "QuoteAudit": _object(
        {
            "quote_id": {"type": "integer"},
            "at": TIMESTAMP,
            "key": {"type": "string"},
            "customer_id": _nullable({"type": "string"}),
            "inputs": {"type": "object"},
            "adjustments": {"type": "array", "items": _ref("Adjustment")},
            "guardrail": _nullable({"type": "string"}),
            "unit_price": MONEY,
            "currency": {"type": "string"},
        }
    ),
    "SaleRequest": _object(
        {
            "name": _string(80, 1),
            "kind": KIND,
            "value": AMOUNT_IN,
            "scope": {"type": "string", "enum": ["product", "category", "all"]},
            "target": {**_string(200, 1), "description": "product id / SKU, or a category path"},
            "starts_at": TIMESTAMP,
            "ends_at": TIMESTAMP,
        },
        required=["name", "kind", "value", "scope", "starts_at", "ends_at"],
    ),
    "Sale": _object(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "kind": KIND,
            "value": {"type": "number"},
            "scope": {"type": "string"},
            "target": _nullable({"type": "string"}),
            "starts_at": TIMESTAMP,
            "ends_at": TIMESTAMP,
        }
    ),
    "SaleList": _object({"sales": {"type": "array", "items": _ref("Sale")}}),
    "StockRuleRequest": _object(
        {
            "name": _string(80, 1),
            "min_stock": STOCK,
            "max_stock": STOCK,
            "effect": {"type": "string", "enum": ["no_discount", "percent_off"]},
            "percent": PERCENT_IN,
        },
        required=["name", "effect"],
    ),
    "StockRule": _object(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "min_stock": _nullable({"type": "integer"}),
            "max_stock": _nullable({"type": "integer"}),
            "effect": {"type": "string", "enum": ["no_discount", "percent_off"]},
            "percent": _nullable({"type": "number"}),
        }
    ),
    "StockRuleList": _object({"stock_rules": {"type": "array", "items": _ref("StockRule")}}),
    "TierRequest": _object({"percent": {"type": "number", "minimum": 0, "exclusiveMaximum": 100}}),
    "Tier": _object({"tier": TIER, "percent": {"type": "number"}}),
    "TierList": _object({"tiers": {"type": "array", "items": _ref("Tier")}}),
    "CustomerTierRequest": _object({"tier": TIER}),
    "CustomerTier": _object(
        {
            "customer_id": {"type": "string"},
            "tier": TIER,
            "recorded": {"type": "boolean", "description": "false: not recorded, so treated as new"},
        }
    ),
    "GuardrailRequest": _object(
        {
            "floor_price": _nullable(PRICE_IN),
            "ceiling_price": _nullable(PRICE_IN),
            "max_daily_change_percent": _nullable(PERCENT_IN),
            "min_change_interval_minutes": _nullable({"type": "integer", "minimum": 1, "maximum": 525600}),
        },
        required=[],
    ),
    "Guardrail": _object(
        {
            "key": {"type": "string"},
            "floor_price": _nullable(MONEY),
            "ceiling_price": _nullable(MONEY),
            "max_daily_change_percent": _nullable({"type": "number"}),
            "min_change_interval_minutes": _nullable({"type": "integer"}),
        }
    ),
    "GuardrailList": _object({"guardrails": {"type": "array", "items": _ref("Guardrail")}}),
    "CouponRequest": _object(
        {
            "code": {"type": "string", "pattern": CODE_PATTERN},
            "kind": KIND,
            "value": AMOUNT_IN,
            "valid_from": TIMESTAMP,
            "valid_to": TIMESTAMP,
            "max_uses": COUNT,
            "max_uses_per_customer": COUNT,
            "min_order_value": PRICE_IN,
            "customer_id": {**CUSTOMER_ID, "description": "makes the coupon personal"},
        },
        required=["code", "kind", "value", "valid_from", "valid_to"],
    ),
    "Coupon": _object(
        {
            "code": {"type": "string"},
            "kind": KIND,
            "value": {"type": "number"},
            "valid_from": TIMESTAMP,
            "valid_to": TIMESTAMP,
            "max_uses": _nullable({"type": "integer"}),
            "max_uses_per_customer": _nullable({"type": "integer"}),
            "min_order_value": _nullable(MONEY),
            "customer_id": _nullable({"type": "string"}),
            "uses": {"type": "integer"},
        }
    ),
    "CouponList": _object({"coupons": {"type": "array", "items": _ref("Coupon")}}),
    "RedeemRequest": _object(
        {"customer_id": CUSTOMER_ID, "order_value": PRICE_IN, "order_number": _string(32, 1)},
        required=["customer_id", "order_value"],
    ),
    "Redemption": _object(
        {
            "code": {"type": "string"},
            "customer_id": {"type": "string"},
            "redeemed_at": TIMESTAMP,
            "coupon": _ref("Coupon"),
        }
    ),
    "GoodwillRequest": _object(
        {
            "customer_id": CUSTOMER_ID,
            "reason": _string(500, 1),
            "order_number": _string(32, 1),
            "amount": {**PRICE_IN, "description": "default: the budget's default_amount"},
        },
        required=["customer_id", "reason"],
    ),
    "GoodwillOffer": _object(
        {
            "offer_id": {"type": "integer"},
            "customer_id": {"type": "string"},
            "order_number": _nullable({"type": "string"}),
            "coupon_code": {"type": "string"},
            "amount": MONEY,
            "valid_to": TIMESTAMP,
            "explanation": {"type": "string"},
        }
    ),
    "GoodwillBudgetRequest": _object(
        {
            "daily_budget": PRICE_IN,
            "per_customer_budget": PRICE_IN,
            "per_customer_window_days": {"type": "integer", "minimum": 1, "maximum": 3650, "default": 30},
            "default_amount": PRICE_IN,
            "valid_days": {"type": "integer", "minimum": 1, "maximum": 3650, "default": 30},
            "enabled": {"type": "boolean", "default": True},
        },
        required=["daily_budget", "per_customer_budget", "default_amount"],
    ),
    "GoodwillBudget": _object(
        {
            "daily_budget": MONEY,
            "per_customer_budget": MONEY,
            "per_customer_window_days": {"type": "integer"},
            "default_amount": MONEY,
            "valid_days": {"type": "integer"},
            "enabled": {"type": "boolean"},
        }
    ),
}

ERRORS = {
    **common.ERROR_DESCRIPTIONS,
    "404": "Unknown quote, sale, rule or coupon",
    "409": "Refused (coupon expired / used up, goodwill budget exhausted, outcome already recorded, ...); "
    "the message says why",
}

SEGMENT = {"type": "string", "pattern": "^[a-z]{1,32}$"}
NUMBER_ID = {"type": "string", "pattern": "^[0-9]+$", "maxLength": 18}
PARAMETERS = {
    "QuoteId": {"name": "quote_id", "in": "path", "required": True, "schema": NUMBER_ID},
    "SaleId": {"name": "sale_id", "in": "path", "required": True, "schema": NUMBER_ID},
    "RuleId": {"name": "rule_id", "in": "path", "required": True, "schema": NUMBER_ID},
    "Tier": {"name": "tier", "in": "path", "required": True, "schema": TIER},
    "CustomerId": {"name": "customer_id", "in": "path", "required": True, "schema": CUSTOMER_ID},
    "Code": {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "pattern": CODE_PATTERN}},
    "GuardrailKey": {
        "name": "key",
        "in": "path",
        "required": True,
        "description": "a SKU, a product id, or `default`",
        "schema": {"type": "string", "pattern": KEY_PATTERN},
    },
}


_operation = partial(common.operation, error_descriptions=ERRORS, errors=("401",))


_WRITE = ("400", "401", "413", "422")
_CHANGE = ("400", "401", "404", "409", "413", "422")

PATHS: dict[str, dict[str, Any]] = {
    "/health": {"get": _operation("Liveness and database check", "Health", errors=(), public=True)},
    "/openapi.json": {"get": common.SPEC_OPERATION},
    "/quotes": {
        "post": _operation(
            "Price one product for one customer; every step is explained and the decision is audited",
            "Quote",
            body="QuoteRequest",
            errors=_WRITE,
        )
    },
    "/quotes/{quote_id}": {
        "get": _operation("The audit row of a quote", "QuoteAudit", params=("QuoteId",), errors=("401", "404", "422"))
    },
    "/quotes/{quote_id}/outcome": {
        "post": _operation(
            "Whether the shopper bought after a quote with a learned offer; updates the learner, once per quote",
            "Outcome",
            body="OutcomeRequest",
            params=("QuoteId",),
            errors=_CHANGE,
        )
    },
    "/learner/arms": {
        "get": _operation(
            "The price learner's posteriors per product group, segment and discount level",
            "LearnerArmList",
            errors=("401", "422"),
            query=[
                {
                    "name": "product_group",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "pattern": KEY_PATTERN},
                },
                {"name": "segment", "in": "query", "required": False, "schema": SEGMENT},
            ],
        )
    },
    "/fairness": {
        "get": _operation(
            "Final prices and offers by customer segment over a window (default: the last 30 days)",
            "FairnessReport",
            errors=("401", "422"),
            query=[
                {"name": "since", "in": "query", "required": False, "schema": TIMESTAMP},
                {"name": "until", "in": "query", "required": False, "schema": TIMESTAMP},
            ],
        )
    },
    "/sales": {
        "get": _operation("All sales (past, current, future)", "SaleList"),
        "post": _operation("Create a time-limited sale", "Sale", status="201", body="SaleRequest", errors=_WRITE),
    },
    "/sales/{sale_id}": {
        "delete": _operation("Delete a sale", None, status="204", params=("SaleId",), errors=("401", "404", "422"))
    },
    "/stock-rules": {
        "get": _operation("All stock-level rules", "StockRuleList"),
        "post": _operation(
            "Create a stock-level rule", "StockRule", status="201", body="StockRuleRequest", errors=_WRITE
        ),
    },
    "/stock-rules/{rule_id}": {
        "delete": _operation(
            "Delete a stock-level rule", None, status="204", params=("RuleId",), errors=("401", "404", "422")
        )
    },
    "/tiers": {"get": _operation("Discount per customer tier", "TierList")},
    "/tiers/{tier}": {
        "put": _operation("Set a tier's discount", "Tier", body="TierRequest", params=("Tier",), errors=_WRITE)
    },
    "/customers/{customer_id}/tier": {
        "get": _operation(
            "A customer's tier (new when not recorded)", "CustomerTier", params=("CustomerId",), errors=("401", "422")
        ),
        "put": _operation(
            "Record a customer's tier",
            "CustomerTier",
            body="CustomerTierRequest",
            params=("CustomerId",),
            errors=_WRITE,
        ),
    },
    "/guardrails": {"get": _operation("All guardrails", "GuardrailList")},
    "/guardrails/{key}": {
        "put": _operation(
            "Set the guardrails of a SKU, a product or the default",
            "Guardrail",
            body="GuardrailRequest",
            params=("GuardrailKey",),
            errors=_WRITE,
        )
    },
    "/coupons": {
        "get": _operation("All coupons", "CouponList"),
        "post": _operation(
            "Create a coupon", "Coupon", status="201", body="CouponRequest", errors=("400", "401", "409", "413", "422")
        ),
    },
    "/coupons/{code}": {
        "get": _operation("A coupon and its use count", "Coupon", params=("Code",), errors=("401", "404", "422"))
    },
    "/coupons/{code}/redeem": {
        "post": _operation(
            "Record one use of a coupon, atomically; 409 with the reason when it cannot be used",
            "Redemption",
            body="RedeemRequest",
            params=("Code",),
            errors=_CHANGE,
        )
    },
    "/goodwill": {
        "post": _operation(
            "Issue a one-time personal coupon if the goodwill budget allows; 409 says why not",
            "GoodwillOffer",
            status="201",
            body="GoodwillRequest",
            errors=("400", "401", "409", "413", "422"),
        )
    },
    "/goodwill/budget": {
        "get": _operation("The operator's goodwill budget", "GoodwillBudget", errors=("401", "404")),
        "put": _operation("Set the goodwill budget", "GoodwillBudget", body="GoodwillBudgetRequest", errors=_WRITE),
    },
}


def build_spec() -> dict[str, Any]:
    return common.document(
        "Pricing backend",
        "Quotes with sales, stock rules, customer tiers, coupons and goodwill offers, bounded by "
        "per-product guardrails. Money is a decimal string in responses; timestamps are UTC.",
        8103,
        PATHS,
        {"schemas": SCHEMAS, "parameters": PARAMETERS},
    )


REQUEST_BODIES = tuple(name for name in SCHEMAS if name.endswith("Request"))
