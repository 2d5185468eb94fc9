"""A small shop with every kind of node and relation, for the store contract and service tests."""

from __future__ import annotations

from contracts.catalogue import Attribute, Brand, Catalogue, Category, Policy, Product, ProductLink, Variant


def shirt(product_id: str, title: str, price: float, stocks: dict[str, int], colour: str = "Blue") -> Product:
    variants = tuple(
        Variant(f"{product_id}-{size}", product_id, size, price, stock, None, colour, size, ("Size",), (size,))
        for size, stock in stocks.items()
    )
    return Product(
        product_id,
        title,
        f'{title}, cotton, "classic" cut.\nMachine washable.',
        "Shirts",
        "northwind",
        "apparel/shirts",
        ("summer", "cotton"),
        attributes=(Attribute("material", "cotton"),),
        variants=variants,
    )


def phone(product_id: str, title: str, price: float) -> Product:
    return Product(
        product_id,
        title,
        "A phone.",
        "Phones",
        "orbit",
        "electronics/phones",
        variants=(Variant(f"{product_id}-128", product_id, "128 GB", price, 5, price + 100, None, None),),
    )


def case(product_id: str, title: str, price: float, stock: int = 10) -> Product:
    return Product(
        product_id,
        title,
        "A case.",
        "Cases",
        "orbit",
        "electronics/cases",
        attributes=(Attribute("material", "silicone"),),
        variants=(Variant(f"{product_id}-1", product_id, "Default", price, stock, colour="Black"),),
    )


def shop(shirt_price: float = 25.0, large_stock: int = 0) -> Catalogue:
    products = [
        shirt("ocean-blue-shirt", "Ocean Blue Shirt", shirt_price, {"S": 4, "M": 2, "L": large_stock, "XL": 1}),
        shirt("linen-shirt", "Linen Shirt", 19.0, {"M": 3}, colour="White"),
        shirt("silk-shirt", "Silk Shirt", 80.0, {"M": 0}, colour="Red"),
        phone("orbit-x", "Orbit X Phone", 699.0),
        phone("orbit-x2", "Orbit X2 Phone", 799.0),
        case("x-case", "Slim Case for Orbit X", 15.0),
        case("x-case-pro", "Rugged Case for Orbit X", 29.0, stock=0),
    ]
    links = [
        ProductLink("COMPATIBLE_WITH", "x-case", "orbit-x"),
        ProductLink("COMPATIBLE_WITH", "x-case-pro", "orbit-x"),
        ProductLink("ACCESSORY_OF", "x-case", "orbit-x"),
        ProductLink("SIMILAR_TO", "ocean-blue-shirt", "linen-shirt", 0.9),
        ProductLink("SIMILAR_TO", "ocean-blue-shirt", "silk-shirt", 0.7),
        ProductLink("REPLACED_BY", "orbit-x", "orbit-x2"),
    ]
    categories = [
        Category("apparel", "Apparel"),
        Category("apparel/shirts", "Shirts", "apparel"),
        Category("electronics", "Electronics"),
        Category("electronics/phones", "Phones", "electronics"),
        Category("electronics/cases", "Cases", "electronics"),
    ]
    brands = [Brand("northwind", "Northwind"), Brand("orbit", "Orbit")]
    policies = [Policy("warranty", "Warranty", "Two years on electronics.", ("warranty", "guarantee", "broken"))]
    return Catalogue(products, categories, brands, links, policies)
