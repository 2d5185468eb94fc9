"""The word tables of the catalogue generator (tools/catalogue_generator.py): what its products are made of.

Colours, brand and product-line syllables, attribute values, option axes (sizes, storage, volumes),
the kinds of leaf (what options, attributes and words a product of that kind has, and which devices
an accessory fits) and the category tree with its price ranges, written as one readable table.
Kept apart from the generation so the vocabulary can grow without touching the seeded logic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

LETTER_SIZES = ("XS", "S", "M", "L", "XL", "XXL")
COLOURS = (
    "Black",
    "White",
    "Navy",
    "Grey",
    "Charcoal",
    "Red",
    "Burgundy",
    "Olive",
    "Forest Green",
    "Sand",
    "Khaki",
    "Sky Blue",
    "Ocean Blue",
    "Mustard",
    "Rust",
    "Cream",
    "Pink",
    "Lavender",
    "Teal",
    "Orange",
)
BRAND_STARTS = (
    "North", "Ridge", "Summit", "Alp", "Cedar", "Stone", "River", "Pine", "Storm", "Fjord", "Terra", "Nova",
    "Volt", "Pixel", "Lumen", "Kestrel", "Falcon", "Orbit", "Aster", "Maple", "Harbor", "Copper", "Iron",
    "Willow", "Coral", "Sol", "Luna", "Zephyr", "Atlas", "Bramble", "Ember", "Glacier", "Moss", "Quill", "Vega",
)  # fmt: skip
BRAND_ENDS = (
    "peak", "line", "wear", "works", "craft", "gear", "lab", "tech", "field", "stone", "wood", "haus",
    "ware", "ly", "ion", "ora", "mark", "dale", "trail", "form",
)  # fmt: skip
PRODUCT_LINES = (
    "Summit", "Alpine", "Trailhead", "Ridge", "Coastline", "Harbor", "Urban", "Nordic", "Canyon", "Meridian",
    "Horizon", "Sierra", "Tundra", "Boreal", "Cascade", "Granite", "Evergreen", "Driftwood", "Highland",
    "Basecamp", "Solstice", "Equinox", "Aurora", "Vista", "Pioneer", "Voyager", "Explorer", "Nomad", "Ranger",
    "Tempo", "Pulse", "Flow", "Core", "Essential", "Classic", "Heritage", "Studio", "Atelier", "Weekend",
    "Everyday", "Metro", "Bay", "Dune", "Mesa", "Prairie", "Cirrus", "Zenith", "Apex", "Crest", "Echo",
    "Haven", "Linden", "Juniper", "Sequoia", "Monarch",
)  # fmt: skip
DEVICE_SERIES = ("Nova", "Pulse", "Edge", "Aura", "Vio", "Spark", "Orbit", "Zen", "Flux", "Halo", "Arc", "Volt")
DEVICE_SUFFIXES = ("", "", " Pro", " Plus", " Lite", " Max", " Mini")
CLOSINGS = (
    "Backed by a two-year warranty.",
    "Designed to last for years of everyday use.",
    "A customer favourite season after season.",
    "Ships in recycled packaging.",
    "Free returns within 30 days.",
    "Easy to care for.",
)
ATTRIBUTE_VALUES: dict[str, tuple[str, ...]] = {
    "fit": ("regular", "slim", "relaxed"),
    "warmth": ("light", "medium", "warm", "very warm"),
    "waterproof": ("yes", "no"),
    "insulation": ("down", "synthetic", "fleece"),
    "season": ("3-season", "4-season"),
    "dishwasher_safe": ("yes", "no"),
    "wireless": ("yes", "no"),
    "noise_cancelling": ("yes", "no"),
    "age": ("3+", "6+", "8+", "12+"),
    "scent": ("vanilla", "cedar", "lavender", "citrus", "sea salt", "fig", "amber"),
    "skin_type": ("all", "dry", "oily", "sensitive"),
    "finish": ("oak", "walnut", "white", "black", "natural"),
    "screen": ("6.1 in", "6.4 in", "6.7 in"),
    "connector": ("USB-C", "USB-C", "USB-C", "Lightning"),
    "gemstone": ("none", "none", "opal", "turquoise", "pearl", "diamond"),
}
# Numeric attributes: name -> (unit, rounding step); the range comes from the kind.
NUMERIC_UNITS = {"weight": ("g", 10), "comfort_temperature": ("°C", 1), "battery": ("mAh", 1000), "wattage": ("W", 5)}
FAMILY_ADJECTIVES = {
    "apparel": ("Classic", "Relaxed", "Essential", "Lightweight", "Soft", "Everyday", "Tailored", "Vintage"),
    "outdoor": ("Packable", "Insulated", "Rugged", "Ultralight", "All-Weather", "Technical", "Trail", "Expedition"),
    "tech": ("Slim", "Rugged", "Wireless", "Compact", "Fast", "Premium", "Essential", "Smart"),
    "device": ("Powerful", "Slim", "Lightweight", "Flagship", "Compact", "Fast"),
    "home": ("Handmade", "Modern", "Rustic", "Minimal", "Classic", "Nordic", "Artisan", "Everyday"),
    "sport": ("Pro", "Training", "Performance", "Lightweight", "Durable", "Competition", "Everyday", "Club"),
    "general": ("Classic", "Premium", "Compact", "Deluxe", "Everyday", "Signature", "Modern", "Original"),
}
FAMILY_PHRASES = {
    "apparel": (
        "with a clean, modern cut",
        "made to go from office to weekend",
        "cut for easy movement",
        "finished with neat flat seams",
        "in a soft, breathable fabric",
    ),
    "outdoor": (
        "built for long days on the trail",
        "packing down small",
        "made for changeable mountain weather",
        "with reinforced high-wear areas",
        "tested on multi-day treks",
    ),
    "tech": (
        "with a precise, snug fit",
        "made for everyday carry",
        "with fast, reliable performance",
        "made to guard against drops and scratches",
        "in a compact design",
    ),
    "device": (
        "with an all-day battery",
        "with a bright, sharp display",
        "with fast, reliable performance",
        "in a slim aluminium body",
    ),
    "home": (
        "bringing warmth to any room",
        "made to be used every day",
        "with a timeless look",
        "crafted from durable materials",
        "made to be easy to clean",
    ),
    "sport": (
        "built for training and match day",
        "made to keep up with your pace",
        "made for serious sessions",
        "with a durable, grippy finish",
    ),
    "general": (
        "made as a thoughtful gift",
        "made to last",
        "with a clean design",
        "designed to be easy to use",
    ),
}


@dataclass(frozen=True)
class Axis:
    """An option: values either a contiguous run (sizes) or a sample (colours); `price_step` per later value."""

    name: str
    values: tuple[str, ...]
    low: int
    high: int
    run: bool = False
    price_step: float = 0.0


AXES = {
    "size": Axis("Size", LETTER_SIZES, 3, 5, run=True),
    "size_small": Axis("Size", ("S", "M", "L", "XL"), 2, 4, run=True),
    "kids_size": Axis("Size", ("2-3 Y", "4-5 Y", "6-7 Y", "8-9 Y", "10-11 Y", "12-13 Y"), 2, 4, run=True),
    "waist": Axis("Waist", ("28", "30", "32", "34", "36", "38", "40"), 3, 6, run=True),
    "shoe": Axis("Size", ("6", "7", "8", "9", "10", "11", "12", "13"), 3, 8, run=True),
    "kids_shoe": Axis("Size", ("10", "11", "12", "13", "1", "2", "3"), 2, 5, run=True),
    "ring": Axis("Ring Size", ("5", "6", "7", "8", "9"), 2, 4, run=True),
    "colour": Axis("Colour", COLOURS, 1, 3),
    "colour1": Axis("Colour", COLOURS, 1, 1),
    "colours": Axis("Colour", COLOURS, 2, 6),
    "storage": Axis("Storage", ("128 GB", "256 GB", "512 GB", "1 TB"), 2, 3, run=True, price_step=0.15),
    "memory": Axis("Memory", ("8 GB", "16 GB", "32 GB"), 1, 2, run=True, price_step=0.25),
    "capacity_card": Axis("Capacity", ("32 GB", "64 GB", "128 GB", "256 GB"), 1, 4, run=True, price_step=0.4),
    "case_size": Axis("Case Size", ("41 mm", "45 mm"), 1, 2, run=True, price_step=0.08),
    "kit": Axis("Kit", ("Body Only", "With 18-55 mm Lens"), 1, 2, run=True, price_step=0.2),
    "length": Axis("Length", ("1 m", "2 m", "3 m"), 1, 3, run=True, price_step=0.2),
    "wattage": Axis("Power", ("20 W", "30 W", "65 W"), 1, 2, run=True, price_step=0.3),
    "pack": Axis("Pack", ("1-Pack", "2-Pack", "3-Pack"), 1, 2, run=True, price_step=0.6),
    "volume_pack": Axis("Volume", ("18 L", "24 L", "30 L", "35 L"), 1, 2, run=True, price_step=0.1),
    "volume_big": Axis("Volume", ("45 L", "55 L", "65 L", "75 L"), 1, 2, run=True, price_step=0.08),
    "volume_dry": Axis("Volume", ("5 L", "10 L", "20 L", "35 L"), 1, 4, run=True, price_step=0.2),
    "persons": Axis("Capacity", ("1-Person", "2-Person", "3-Person", "4-Person"), 1, 3, run=True, price_step=0.25),
    "bag_length": Axis("Length", ("Regular", "Long"), 1, 2, run=True, price_step=0.08),
    "pan": Axis("Diameter", ("20 cm", "24 cm", "28 cm", "32 cm"), 2, 4, run=True, price_step=0.15),
    "set": Axis("Set", ("Set of 2", "Set of 4", "Set of 6"), 2, 3, run=True, price_step=0.6),
    "size3": Axis("Size", ("Small", "Medium", "Large"), 2, 3, run=True, price_step=0.3),
    "bed": Axis("Bed Size", ("Single", "Double", "Queen", "King"), 2, 4, run=True, price_step=0.15),
    "towel": Axis("Size", ("Hand Towel", "Bath Towel", "Bath Sheet"), 1, 3, run=True, price_step=0.5),
    "weights": Axis("Weight", ("2 kg", "4 kg", "6 kg", "8 kg", "10 kg", "12 kg", "16 kg", "20 kg"), 1, 6, run=True),
    "ball": Axis("Ball Size", ("Size 3", "Size 4", "Size 5"), 1, 3, run=True),
    "volume_ml": Axis("Size", ("30 ml", "50 ml", "100 ml", "200 ml"), 1, 3, run=True, price_step=0.5),
    "finish_axis": Axis("Finish", ("Oak", "Walnut", "White", "Black"), 1, 3),
}


@dataclass(frozen=True)
class Kind:
    """How products of a kind of leaf look: options, attributes, words, and what devices they fit."""

    family: str
    axes: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()
    numeric: tuple[tuple[str, int, int], ...] = ()
    tags: tuple[str, ...] = ()
    device: str = ""  # a title template for devices ("{brand} {series} {number}{suffix}")
    fits: tuple[str, ...] = ()  # leaf names of the devices this accessory is for
    by_connector: bool = False  # fits devices with the same connector (chargers) rather than one model
    same_screen: bool = False  # fits devices with the same screen size (screen protectors)


def _kind(family: str, axes: str = "", attributes: str = "", **extra: Any) -> Kind:
    """A kind from space-separated axis and attribute names (the table stays readable)."""
    return Kind(family=family, axes=tuple(axes.split()), attributes=tuple(attributes.split()), **extra)


_PHONE_ACCESSORY = {"fits": ("Smartphones",)}
KINDS: dict[str, Kind] = {
    "top": _kind("apparel", "size colour", "fit"),
    "knit": _kind("apparel", "size colour", "fit warmth"),
    "bottom": _kind("apparel", "waist colour1", "fit"),
    "outer": _kind("apparel", "size colour", "warmth waterproof", numeric=(("weight", 400, 1600),)),
    "kids": _kind("apparel", "kids_size colour"),
    "kids_outer": _kind("apparel", "kids_size colour", "warmth waterproof"),
    "socks": _kind("apparel", "size_small colour", "warmth"),
    "sized": _kind("apparel", "size_small colour"),
    "colours": _kind("general", "colours"),
    "shoe": _kind("apparel", "shoe colour1", "", numeric=(("weight", 250, 700),)),
    "boot": _kind("apparel", "shoe colour1", "waterproof warmth", numeric=(("weight", 500, 1100),)),
    "kids_shoe": _kind("apparel", "kids_shoe colour1"),
    "phone": _kind("device", "storage colour", "connector screen", device="{brand} {series} {number}{suffix}"),
    "tablet": _kind("device", "storage colour1", "connector", device="{brand} {series} Tab {number}{suffix}"),
    "laptop": _kind("device", "memory colour1", "connector", device="{brand} {series}Book {number}{suffix}"),
    "watch": _kind("device", "case_size colour", "", device="{brand} {series} Watch {number}{suffix}"),
    "camera": _kind("device", "kit", "", device="{brand} {series} Z{number}"),
    "case": _kind("tech", "colours", "", **_PHONE_ACCESSORY),
    "tablet_case": _kind("tech", "colours", "", fits=("Tablets",)),
    "protector": _kind("tech", "pack", "", fits=("Smartphones",), same_screen=True),
    "charger": _kind(
        "tech",
        "wattage",
        "connector",
        fits=("Smartphones", "Tablets", "Laptops"),
        by_connector=True,
        tags=("charging",),
    ),
    "cable": _kind("tech", "length", "connector", fits=("Smartphones", "Tablets"), by_connector=True),
    "powerbank": _kind(
        "tech", "colour", "connector", numeric=(("battery", 5000, 26000),), fits=("Smartphones",), by_connector=True
    ),
    "sleeve": _kind("tech", "colours", "", fits=("Laptops",)),
    "band": _kind("tech", "colours", "", fits=("Smartwatches",)),
    "lens": _kind("tech", "", "", fits=("Cameras",)),
    "memcard": _kind("tech", "capacity_card", "", fits=("Cameras",)),
    "audio": _kind("tech", "colours", "wireless noise_cancelling"),
    "tech_colours": _kind("tech", "colours", "wireless"),
    "tech_single": _kind("tech"),
    "insulated": _kind(
        "outdoor",
        "size colour",
        "warmth insulation waterproof",
        numeric=(("weight", 250, 900),),
        tags=("outdoor", "hiking"),
    ),
    "fleece": _kind("outdoor", "size colour", "warmth", numeric=(("weight", 250, 600),), tags=("outdoor", "hiking")),
    "rain": _kind("outdoor", "size colour", "waterproof", numeric=(("weight", 180, 500),), tags=("outdoor", "rain")),
    "softshell": _kind(
        "outdoor", "size colour", "warmth waterproof", numeric=(("weight", 300, 650),), tags=("outdoor", "hiking")
    ),
    "hikepants": _kind("outdoor", "waist colour1", "waterproof", numeric=(("weight", 250, 550),), tags=("hiking",)),
    "baselayer": _kind("outdoor", "size colour", "warmth", numeric=(("weight", 120, 300),), tags=("outdoor",)),
    "outdoor_sized": _kind("outdoor", "size_small colour", "warmth waterproof", tags=("outdoor",)),
    "beanie": _kind("outdoor", "colours", "warmth", tags=("outdoor",)),
    "hikeboot": _kind(
        "outdoor", "shoe colour1", "waterproof warmth", numeric=(("weight", 700, 1500),), tags=("hiking",)
    ),
    "trailshoe": _kind("outdoor", "shoe colour1", "waterproof", numeric=(("weight", 450, 700),), tags=("running",)),
    "hikesock": _kind("outdoor", "size_small colour", "warmth", tags=("hiking",)),
    "tent": _kind("outdoor", "persons", "season waterproof", numeric=(("weight", 1100, 4500),), tags=("camping",)),
    "sleepingbag": _kind(
        "outdoor",
        "bag_length",
        "warmth insulation",
        numeric=(("comfort_temperature", -15, 12), ("weight", 600, 2200)),
        tags=("camping",),
    ),
    "pad": _kind("outdoor", "bag_length", "warmth", numeric=(("weight", 350, 1100),), tags=("camping",)),
    "gear": _kind("outdoor", "", "", numeric=(("weight", 80, 600),), tags=("outdoor",)),
    "gear_colours": _kind("outdoor", "colours", "", numeric=(("weight", 40, 900),), tags=("outdoor",)),
    "gear_sized": _kind("outdoor", "size_small", "", numeric=(("weight", 250, 500),), tags=("climbing",)),
    "pack": _kind("outdoor", "volume_pack colour", "waterproof", numeric=(("weight", 400, 1200),), tags=("hiking",)),
    "pack_big": _kind(
        "outdoor", "volume_big colour1", "waterproof", numeric=(("weight", 1100, 2400),), tags=("backpacking",)
    ),
    "drybag": _kind("outdoor", "volume_dry colour1", "waterproof", tags=("outdoor",)),
    "climbshoe": _kind("outdoor", "shoe", "", tags=("climbing",)),
    "cookware": _kind("home", "pan", "dishwasher_safe"),
    "cookware_colours": _kind("home", "colours", "dishwasher_safe"),
    "set": _kind("home", "set", "dishwasher_safe"),
    "size3": _kind("home", "size3"),
    "home_single": _kind("home"),
    "home_colours": _kind("home", "colours"),
    "appliance": _kind("home", "colours", "", numeric=(("wattage", 600, 2200),)),
    "bedding": _kind("home", "bed colour"),
    "pillow": _kind("home", "pack"),
    "towel": _kind("home", "towel colour"),
    "candle": _kind("home", "size3", "scent"),
    "furniture": _kind("home", "finish_axis", ""),
    "weights": _kind("sport", "weights", ""),
    "sport_colours": _kind("sport", "colours"),
    "sport_single": _kind("sport"),
    "sport_top": _kind("sport", "size colour", "fit"),
    "sport_shoe": _kind("sport", "shoe colour1", "", numeric=(("weight", 200, 350),), tags=("running",)),
    "helmet": _kind("sport", "size3 colour", ""),
    "ball": _kind("sport", "ball", ""),
    "beauty": _kind("general", "volume_ml", "skin_type"),
    "fragrance": _kind("general", "volume_ml", "scent"),
    "jewellery": _kind("general", "", "gemstone"),
    "ring": _kind("general", "ring", "gemstone"),
    "toy": _kind("general", "", "age"),
    "general_single": _kind("general"),
}

# Leaves under [department > section] headings: name | kind | price range | weight (share of products) |
# title nouns | materials
LEAF_TABLE = """
[Apparel > Men's Clothing]
T-Shirts | top | 12-45 | 5 | T-Shirt, Crew Neck Tee, Pocket Tee | cotton, organic cotton, merino wool, polyester
Shirts | top | 25-90 | 4 | Oxford Shirt, Flannel Shirt, Linen Shirt, Chambray Shirt | cotton, linen, organic cotton
Polo Shirts | top | 20-70 | 2 | Polo Shirt, Pique Polo | cotton, organic cotton, recycled polyester
Sweaters | knit | 35-140 | 3 | Crew Sweater, Cardigan, Quarter-Zip Sweater | wool, merino wool, cashmere, cotton
Hoodies | top | 30-95 | 3 | Hoodie, Zip Hoodie, Sweatshirt | cotton, organic cotton, recycled polyester
Jeans | bottom | 40-130 | 3 | Slim Jeans, Straight Jeans, Relaxed Jeans | denim, stretch denim
Chinos | bottom | 35-95 | 2 | Chinos, Stretch Chinos | cotton, stretch cotton
Shorts | bottom | 20-60 | 2 | Shorts, Cargo Shorts, Swim Shorts | cotton, nylon, recycled polyester
Jackets | outer | 60-250 | 3 | Bomber Jacket, Field Jacket, Denim Jacket, Overshirt | cotton, nylon, wool blend, denim
Coats | outer | 120-400 | 2 | Wool Coat, Parka, Trench Coat | wool, wool blend, cotton, recycled polyester
[Apparel > Women's Clothing]
T-Shirts | top | 12-45 | 5 | T-Shirt, V-Neck Tee, Boxy Tee | cotton, organic cotton, linen, modal
Blouses | top | 25-95 | 3 | Blouse, Wrap Blouse, Silk Blouse | silk, viscose, cotton, linen
Shirts | top | 25-90 | 3 | Oxford Shirt, Linen Shirt, Oversized Shirt | cotton, linen, organic cotton
Sweaters | knit | 35-160 | 3 | Crew Sweater, Cardigan, Turtleneck | wool, merino wool, cashmere, cotton
Hoodies | top | 30-95 | 2 | Hoodie, Cropped Hoodie, Sweatshirt | cotton, organic cotton, recycled polyester
Dresses | top | 40-180 | 4 | Midi Dress, Wrap Dress, Shirt Dress, Knit Dress | cotton, linen, viscose, silk
Skirts | top | 30-110 | 2 | Midi Skirt, Pleated Skirt, Denim Skirt | cotton, denim, viscose, wool blend
Jeans | bottom | 40-140 | 3 | Skinny Jeans, Wide-Leg Jeans, Straight Jeans | denim, stretch denim
Leggings | top | 25-80 | 2 | Leggings, High-Rise Leggings | nylon, recycled polyester, cotton
Jackets | outer | 60-260 | 3 | Blazer, Denim Jacket, Quilted Jacket, Bomber Jacket | cotton, denim, wool blend, nylon
Coats | outer | 120-420 | 2 | Wool Coat, Trench Coat, Puffer Coat | wool, wool blend, cotton, recycled polyester
[Apparel > Kids' Clothing]
T-Shirts | kids | 8-25 | 2 | T-Shirt, Graphic Tee | cotton, organic cotton
Sweatshirts | kids | 15-40 | 2 | Sweatshirt, Hoodie | cotton, recycled polyester
Trousers | kids | 15-45 | 2 | Joggers, Jeans, Trousers | cotton, denim
Jackets | kids_outer | 30-110 | 2 | Rain Jacket, Puffer Jacket, Fleece Jacket | nylon, recycled polyester, fleece
Pyjamas | kids | 15-40 | 1 | Pyjama Set | cotton, organic cotton
[Apparel > Underwear & Socks]
Socks | socks | 6-25 | 3 | Crew Socks, Ankle Socks, Wool Socks | cotton, merino wool, bamboo
Boxers | sized | 12-35 | 2 | Boxer Briefs, Trunks | cotton, modal
[Apparel > Accessories]
Hats & Caps | colours | 15-45 | 2 | Baseball Cap, Bucket Hat, Flat Cap | cotton, wool, canvas
Scarves | colours | 18-90 | 2 | Scarf, Wool Scarf, Silk Scarf | wool, cashmere, silk, cotton
Gloves | sized | 15-60 | 1 | Gloves, Leather Gloves | leather, wool, fleece
Belts | sized | 20-70 | 1 | Leather Belt, Canvas Belt | leather, canvas
[Footwear > Men's Shoes]
Sneakers | shoe | 50-160 | 3 | Sneakers, Court Sneakers, Runners | leather, canvas, suede, engineered knit
Boots | boot | 90-260 | 2 | Chelsea Boots, Work Boots, Chukka Boots | leather, suede
Sandals | shoe | 25-90 | 1 | Sandals, Slides | leather, rubber
Dress Shoes | shoe | 80-240 | 1 | Derby Shoes, Oxford Shoes, Loafers | leather, suede
[Footwear > Women's Shoes]
Sneakers | shoe | 50-160 | 3 | Sneakers, Platform Sneakers, Runners | leather, canvas, engineered knit
Boots | boot | 90-280 | 2 | Ankle Boots, Chelsea Boots, Knee-High Boots | leather, suede
Sandals | shoe | 25-110 | 1 | Sandals, Espadrilles | leather, jute, rubber
Flats | shoe | 35-120 | 1 | Ballet Flats, Loafers | leather, suede
[Footwear > Kids' Shoes]
Sneakers | kids_shoe | 25-70 | 1 | Sneakers, Velcro Sneakers | canvas, leather
Boots | kids_shoe | 30-80 | 1 | Rain Boots, Snow Boots | rubber, nylon
[Electronics > Phones]
Smartphones | phone | 199-1299 | 2 | Smartphone |
[Electronics > Phone Accessories]
Phone Cases | case | 12-60 | 5 | Case, Clear Case, Leather Case, Rugged Case | silicone, leather, TPU, polycarbonate
Screen Protectors | protector | 8-35 | 2 | Screen Protector, Privacy Screen Protector | tempered glass, PET film
Chargers | charger | 15-70 | 2 | Fast Charger, Wall Charger, Travel Charger |
Charging Cables | cable | 8-35 | 2 | Charging Cable, Braided Cable | nylon, TPE
Power Banks | powerbank | 20-90 | 1 | Power Bank, Slim Power Bank |
[Electronics > Computers]
Laptops | laptop | 499-2499 | 1 | Laptop | aluminium
Tablets | tablet | 199-1199 | 1 | Tablet | aluminium
Tablet Cases | tablet_case | 20-80 | 1 | Folio Case, Keyboard Case | polyurethane, leather
Laptop Sleeves | sleeve | 20-70 | 1 | Laptop Sleeve, Padded Sleeve | neoprene, wool felt, leather
Keyboards | tech_colours | 30-180 | 1 | Keyboard, Mechanical Keyboard |
Mice | tech_colours | 15-110 | 1 | Mouse, Ergonomic Mouse |
Monitors | tech_single | 129-899 | 1 | 27-inch Monitor, 24-inch Monitor, 4K Monitor |
[Electronics > Audio]
Headphones | audio | 40-400 | 2 | Headphones, Over-Ear Headphones |
Earbuds | audio | 30-280 | 2 | Earbuds, Sport Earbuds |
Bluetooth Speakers | audio | 30-300 | 1 | Bluetooth Speaker, Portable Speaker |
[Electronics > Wearables]
Smartwatches | watch | 149-799 | 1 | Smartwatch |
Watch Bands | band | 15-60 | 1 | Sport Band, Leather Band, Woven Band | silicone, leather, nylon
Fitness Trackers | tech_colours | 50-200 | 1 | Fitness Tracker |
[Electronics > Cameras]
Cameras | camera | 399-2999 | 1 | Mirrorless Camera |
Camera Lenses | lens | 150-1500 | 1 | 35 mm f/1.8 Lens, 50 mm f/1.4 Lens, 24-70 mm Zoom Lens |
Memory Cards | memcard | 10-120 | 1 | SD Card, microSD Card |
Camera Bags | colours | 40-200 | 1 | Camera Bag, Camera Backpack | nylon, canvas
[Outdoor & Hiking > Outdoor Clothing]
Insulated Jackets | insulated | 120-450 | 4 | Down Jacket, Insulated Jacket, Puffer Vest, Parka | nylon, ripstop nylon
Fleece Jackets | fleece | 45-160 | 3 | Fleece Jacket, Grid Fleece, Fleece Vest | fleece, recycled polyester
Rain Jackets | rain | 60-350 | 3 | Rain Jacket, Rain Shell, Hardshell Jacket | nylon, recycled nylon, polyester
Softshell Jackets | softshell | 70-220 | 2 | Softshell Jacket, Softshell Hoodie | polyester, nylon
Hiking Pants | hikepants | 50-150 | 2 | Hiking Pants, Convertible Pants, Trekking Trousers | nylon, polyester
Base Layers | baselayer | 30-110 | 2 | Base Layer Top, Base Layer Leggings | merino wool, polyester
Outdoor Gloves | outdoor_sized | 20-90 | 1 | Hiking Gloves, Insulated Gloves, Liner Gloves | fleece, nylon, merino wool
Beanies | beanie | 15-45 | 1 | Beanie, Fleece Beanie | merino wool, wool, fleece
[Outdoor & Hiking > Hiking Footwear]
Hiking Boots | hikeboot | 90-320 | 3 | Hiking Boots, Mid Hiking Boots, Trekking Boots | leather, suede, synthetic fabric
Trail Running Shoes | trailshoe | 80-190 | 2 | Trail Running Shoes, Trail Shoes | breathable mesh, synthetic fabric
Hiking Socks | hikesock | 12-30 | 2 | Hiking Socks, Trekking Socks | merino wool, wool blend
[Outdoor & Hiking > Camping]
Tents | tent | 90-800 | 2 | Backpacking Tent, Dome Tent, Tunnel Tent | nylon, polyester
Sleeping Bags | sleepingbag | 60-500 | 2 | Sleeping Bag, Down Sleeping Bag, Mummy Bag | nylon, polyester
Sleeping Pads | pad | 40-220 | 1 | Sleeping Pad, Self-Inflating Mat, Foam Mat | nylon, closed-cell foam
Camp Stoves | gear | 30-180 | 1 | Camp Stove, Canister Stove | stainless steel, aluminium
Camp Cookware | gear | 20-120 | 1 | Cook Set, Camp Pot, Titanium Mug | titanium, aluminium, stainless steel
Headlamps | gear_colours | 15-90 | 1 | Headlamp, Rechargeable Headlamp |
Camp Chairs | gear_colours | 30-150 | 1 | Camp Chair, Folding Chair | aluminium, polyester
[Outdoor & Hiking > Packs & Bags]
Daypacks | pack | 40-180 | 2 | Daypack, Hiking Backpack | nylon, recycled polyester
Backpacking Packs | pack_big | 120-380 | 2 | Backpacking Pack, Trekking Pack | nylon, ripstop nylon
Dry Bags | drybag | 12-50 | 1 | Dry Bag, Roll-Top Dry Bag | TPU, PVC-free nylon
Hydration Packs | pack | 40-150 | 1 | Hydration Pack, Running Vest | nylon, polyester
[Outdoor & Hiking > Climbing]
Harnesses | gear_sized | 50-160 | 1 | Climbing Harness, Alpine Harness | nylon, polyester
Carabiners | gear_colours | 8-35 | 1 | Locking Carabiner, Wiregate Carabiner | aluminium, steel
Climbing Shoes | climbshoe | 80-200 | 1 | Climbing Shoes, Bouldering Shoes | leather, synthetic fabric
[Outdoor & Hiking > Navigation & Tools]
Trekking Poles | gear | 35-180 | 1 | Trekking Poles, Folding Poles | aluminium, carbon
Multi-Tools | gear | 25-150 | 1 | Multi-Tool, Pocket Knife | stainless steel
Water Filters | gear | 25-120 | 1 | Water Filter, Filter Bottle | plastic, silicone
[Home & Kitchen > Cookware]
Frying Pans | cookware | 25-180 | 2 | Frying Pan, Skillet, Non-Stick Pan | cast iron, stainless steel, carbon steel
Saucepans | cookware | 30-200 | 1 | Saucepan, Stockpot | stainless steel, copper
Dutch Ovens | cookware_colours | 60-380 | 1 | Dutch Oven, Casserole Dish | enamelled cast iron, cast iron
[Home & Kitchen > Kitchen Tools]
Kitchen Knives | home_single | 20-250 | 2 | Chef's Knife, Paring Knife, Bread Knife | stainless steel, carbon steel
Cutting Boards | size3 | 15-90 | 1 | Cutting Board, Serving Board | oak, walnut, bamboo
Utensil Sets | home_single | 15-60 | 1 | Utensil Set, Spatula Set | silicone, bamboo, stainless steel
[Home & Kitchen > Small Appliances]
Kettles | appliance | 30-160 | 1 | Kettle, Electric Kettle | stainless steel, glass
Coffee Makers | appliance | 40-600 | 1 | Coffee Maker, Espresso Machine | stainless steel, plastic
Toasters | appliance | 30-180 | 1 | Toaster, 4-Slice Toaster | stainless steel
Blenders | appliance | 40-400 | 1 | Blender, Personal Blender | glass, plastic
[Home & Kitchen > Tableware]
Dinner Plates | set | 20-120 | 1 | Dinner Plates, Side Plates | stoneware, porcelain, ceramic
Bowls | set | 15-90 | 1 | Bowls, Pasta Bowls | stoneware, porcelain
Mugs | home_colours | 8-35 | 2 | Mug, Espresso Cup | stoneware, ceramic, enamel
Glassware | set | 15-80 | 1 | Tumblers, Wine Glasses | glass, crystal
Cutlery Sets | set | 25-160 | 1 | Cutlery Set, Steak Knives | stainless steel
[Home & Kitchen > Bedding]
Duvet Covers | bedding | 40-200 | 2 | Duvet Cover, Duvet Set | cotton, linen, organic cotton
Sheets | bedding | 30-160 | 2 | Fitted Sheet, Sheet Set | cotton, linen, bamboo
Pillows | pillow | 20-90 | 1 | Pillow, Memory Foam Pillow | down, memory foam, polyester
Blankets | home_colours | 30-180 | 1 | Throw Blanket, Knitted Blanket | wool, cotton, cashmere
[Home & Kitchen > Bath]
Towels | towel | 10-60 | 2 | Towel, Waffle Towel | cotton, organic cotton, linen
Bath Mats | home_colours | 15-50 | 1 | Bath Mat | cotton, teak
[Home & Kitchen > Home Decor]
Candles | candle | 10-45 | 2 | Candle, Scented Candle | soy wax, beeswax
Vases | home_colours | 15-120 | 1 | Vase, Bud Vase | ceramic, glass
Cushions | home_colours | 15-60 | 2 | Cushion, Cushion Cover | linen, velvet, cotton
Lamps | home_colours | 30-250 | 1 | Table Lamp, Floor Lamp | ceramic, brass, rattan
[Home & Kitchen > Furniture]
Chairs | furniture | 60-450 | 1 | Dining Chair, Lounge Chair | oak, beech, rattan
Side Tables | furniture | 50-300 | 1 | Side Table, Nesting Tables | oak, walnut, marble
Shelves | furniture | 40-350 | 1 | Bookshelf, Wall Shelf | oak, pine, steel
Desks | furniture | 120-700 | 1 | Desk, Standing Desk | oak, walnut, steel
[Sports & Fitness > Fitness Equipment]
Dumbbells | weights | 15-150 | 1 | Dumbbell, Hex Dumbbell | cast iron, rubber
Yoga Mats | sport_colours | 20-120 | 2 | Yoga Mat, Travel Yoga Mat | natural rubber, TPE, cork
Kettlebells | weights | 20-120 | 1 | Kettlebell | cast iron
[Sports & Fitness > Cycling]
Bike Helmets | helmet | 40-250 | 1 | Bike Helmet, Road Helmet | polycarbonate
Bike Lights | sport_single | 15-90 | 1 | Bike Light Set, Rear Light | aluminium
Cycling Jerseys | sport_top | 40-150 | 1 | Cycling Jersey | polyester, merino wool
[Sports & Fitness > Running]
Running Shoes | sport_shoe | 70-200 | 3 | Running Shoes, Road Running Shoes | breathable mesh, engineered knit
Running Shorts | sport_top | 20-60 | 1 | Running Shorts | polyester, nylon
Running Jackets | rain | 50-180 | 1 | Running Jacket, Wind Jacket | nylon, polyester
[Sports & Fitness > Team Sports]
Footballs | ball | 15-150 | 1 | Football, Training Ball | synthetic leather
Basketballs | ball | 20-180 | 1 | Basketball | composite leather, rubber
[Sports & Fitness > Swimming]
Swimsuits | sport_top | 25-110 | 1 | Swimsuit, Swim Trunks | recycled nylon, polyester
Swim Goggles | sport_colours | 10-45 | 1 | Swim Goggles | silicone
[Beauty & Personal Care > Skincare]
Moisturisers | beauty | 12-90 | 1 | Moisturiser, Night Cream |
Sunscreen | beauty | 10-40 | 1 | Sunscreen SPF 50, Sunscreen SPF 30 |
Serums | beauty | 18-120 | 1 | Vitamin C Serum, Hyaluronic Serum |
[Beauty & Personal Care > Hair Care]
Shampoo | beauty | 8-40 | 1 | Shampoo, Dry Shampoo |
Hair Dryers | appliance | 40-400 | 1 | Hair Dryer, Travel Hair Dryer |
[Beauty & Personal Care > Fragrance]
Eau de Parfum | fragrance | 45-180 | 1 | Eau de Parfum |
Eau de Toilette | fragrance | 35-120 | 1 | Eau de Toilette |
[Jewellery & Watches > Jewellery]
Necklaces | jewellery | 20-400 | 1 | Pendant Necklace, Chain Necklace | sterling silver, gold-plated brass, 14k gold
Earrings | jewellery | 15-300 | 1 | Hoop Earrings, Stud Earrings | sterling silver, gold-plated brass, 14k gold
Bracelets | jewellery | 15-300 | 1 | Chain Bracelet, Bangle | sterling silver, gold-plated brass, leather
Rings | ring | 20-500 | 1 | Ring, Stacking Ring | sterling silver, 14k gold
[Jewellery & Watches > Watches]
Analog Watches | colours | 60-600 | 1 | Analog Watch, Field Watch | stainless steel, leather
Digital Watches | colours | 30-200 | 1 | Digital Watch | resin, stainless steel
[Bags & Luggage > Luggage]
Carry-On Suitcases | colours | 80-450 | 1 | Carry-On Suitcase, Cabin Case | polycarbonate, aluminium
Checked Suitcases | colours | 120-600 | 1 | Checked Suitcase, Large Suitcase | polycarbonate, aluminium
Duffel Bags | colours | 40-200 | 1 | Duffel Bag, Weekender | canvas, nylon, leather
[Bags & Luggage > Everyday Bags]
Tote Bags | colours | 20-150 | 1 | Tote Bag, Shopper | canvas, leather
Messenger Bags | colours | 50-250 | 1 | Messenger Bag, Crossbody Bag | canvas, leather, nylon
Wallets | colours | 20-120 | 1 | Wallet, Card Holder | leather
[Toys & Games > Toys]
Building Sets | toy | 15-150 | 1 | Building Set, Construction Kit | plastic, wood
Plush Toys | toy | 10-50 | 1 | Plush Bear, Plush Fox | polyester, organic cotton
[Toys & Games > Games]
Puzzles | toy | 10-45 | 1 | 1000-Piece Puzzle, 500-Piece Puzzle | cardboard
Board Games | toy | 20-70 | 1 | Board Game, Strategy Game, Card Game |
[Garden > Garden Supplies]
Planters | size3 | 10-120 | 1 | Planter, Plant Pot | terracotta, ceramic, concrete
Garden Tools | home_single | 10-80 | 1 | Hand Trowel, Pruning Shears, Garden Fork | stainless steel, ash wood
Watering Cans | home_colours | 15-50 | 1 | Watering Can | galvanised steel, plastic
[Garden > Outdoor Living]
Outdoor Lighting | home_single | 15-150 | 1 | Solar Lantern, String Lights |
[Pet Supplies > Dogs]
Dog Beds | size3 | 30-180 | 1 | Dog Bed, Orthopaedic Dog Bed | polyester, cotton
Dog Collars | sized | 10-40 | 1 | Dog Collar, Dog Harness | nylon, leather
[Pet Supplies > Cats]
Cat Toys | general_single | 5-25 | 1 | Cat Toy, Feather Wand |
Cat Bowls | home_colours | 8-35 | 1 | Cat Bowl, Raised Cat Bowl | ceramic, stainless steel
"""


@dataclass(frozen=True)
class Leaf:
    path: tuple[str, ...]
    kind: Kind
    price_low: float
    price_high: float
    weight: float
    nouns: tuple[str, ...]
    materials: tuple[str, ...]
    gender: str | None

    @property
    def name(self) -> str:
        return self.path[-1]


def _gender(path: Sequence[str], kind: Kind) -> str | None:
    """Who a leaf's products are for: from "Men's"/"Women's"/"Kids'" in its path; clothing otherwise unisex."""
    text = " ".join(path)
    for marker, gender in (("Men's", "men"), ("Women's", "women"), ("Kids'", "kids")):
        if marker in text:
            return gender
    return "unisex" if kind.family in ("apparel", "outdoor") and kind.axes[:1] != ("colours",) else None


def _parse_leaves(table: str) -> tuple[Leaf, ...]:
    leaves: list[Leaf] = []
    section: tuple[str, ...] = ()
    for row in table.strip().splitlines():
        if row.startswith("["):
            section = tuple(part.strip() for part in row.strip("[]").split(">"))
            continue
        name, kind, prices, weight, nouns, materials = (cell.strip() for cell in row.split("|"))
        low, high = prices.split("-")
        names = (*section, name)
        leaves.append(
            Leaf(
                path=names,
                kind=KINDS[kind],
                gender=_gender(names, KINDS[kind]),
                price_low=float(low),
                price_high=float(high),
                weight=float(weight),
                nouns=tuple(noun.strip() for noun in nouns.split(",") if noun.strip()),
                materials=tuple(material.strip() for material in materials.split(",") if material.strip()),
            )
        )
    return tuple(leaves)


LEAVES = _parse_leaves(LEAF_TABLE)
