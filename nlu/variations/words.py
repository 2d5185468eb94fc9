"""Word tables for the training variations (nlu/variations/phenomena.py).

Written for this project from general English usage; nothing here is taken from an evaluation set.
"""

from __future__ import annotations


def _word_set(text: str) -> frozenset[str]:
    """A set of words written as running text, which is easier to read and extend than a list literal."""
    return frozenset(text.split())


# Openings that come before the verb of a request ("I'd like to | cancel my order"); longest match wins.
REQUEST_OPENINGS: tuple[str, ...] = (
    "i would like to", "i'd like to", "id like to", "i want to", "i wanna", "i need to", "i have to",
    "i gotta", "i must", "i'm trying to", "im trying to", "i am trying to", "i'm looking to", "help me to",
    "help me", "can you help me", "could you help me", "can you", "could you", "would you", "can i",
    "could i", "how do i", "how can i", "how to", "how 2", "where do i", "where can i", "please",
    "pls", "plz", "is it possible to", "let me", "i wish to", "i'd love to", "need to", "want to",
    "wanna", "gotta", "i'd like you to", "i want you to",
)  # fmt: skip

# Verbs a shop request starts with once the opening is gone ("cancel my order", "track my parcel").
REQUEST_VERBS: frozenset[str] = _word_set(
    """
    add apply ask book buy cancel change check close complain contact create delete download edit email
    file find fix get give leave let make modify know open order pay place purchase reach receive recover
    register remove report request reset return see send set show sign speak stop subscribe switch talk
    track transfer unsubscribe update use verify view write exchange claim compare redeem use enter
    look log post rate review swap move
    """
)

# The frame sentences of an indirect request; {core} is the request's verb phrase ("get my invoice").
# Frames naming a person are there on purpose: "ask an agent how I can get my invoice" asks for an
# invoice, not for an agent, and the classifier must learn that the frame does not decide the intent.
INDIRECT_FRAMES: tuple[str, ...] = (
    "could you ask an agent how I can {core}",
    "can you ask a human agent how to {core}",
    "ask an agent how I could {core}",
    "ask someone from customer service how I can {core}",
    "could you check with a person how to {core}",
    "tell me if I could {core}",
    "can you tell me if I can {core}",
    "tell me how I can {core}",
    "I'd like to know how I can {core}",
    "I was wondering if you could help me {core}",
    "do you know how I could {core}",
    "would it be possible to {core}",
    "is there a way to {core}",
    "I wanted to ask whether I can {core}",
    "I'd need some information on how to {core}",
    "let me know how to {core}",
    "could you let me know how I can {core}",
    "I'm not sure how to {core}, can you tell me",
    "I don't know how to {core}",
    "I don't know what to do to {core}",
    "I'm calling to {core}",
)
# Frames around a question the shopper asks ("where is my package" -> "can you tell me where is my package").
QUESTION_FRAMES: tuple[str, ...] = (
    "can you tell me {core}",
    "could you ask an agent {core}",
    "I'd like to know {core}",
    "I was wondering {core}",
    "could you find out {core}",
    "I need to know {core}",
    "tell me please {core}",
)
QUESTION_WORDS: frozenset[str] = _word_set(
    "where when what how which why who do does did is are was can could will would has have"
)
# Frames without a person, for the intents that ask for one (a frame must not contradict the intent).
INDIRECT_FRAMES_NO_PERSON: tuple[str, ...] = tuple(
    frame for frame in INDIRECT_FRAMES if not any(w in frame for w in ("agent", "someone", "person"))
)

POLITE_FRAMES: tuple[str, ...] = (
    "please {core}",
    "could you please {core}",
    "would you kindly {core}",
    "I would be grateful if you could help me {core}",
    "hi, could you please help me {core}?",
    "hello, I'd appreciate some help to {core}",
    "would you be so kind as to help me {core}",
    "{core}, please",
    "{core}, thank you",
    "if it's not too much trouble, could you help me {core}",
    "good morning, I would like to {core}, please",
    "{core} please, thanks a lot",
)
POLITE_SUFFIXES: tuple[str, ...] = (", please", " please", ", thanks", ", thank you", " thank you so much", " thx")
POLITE_PREFIXES: tuple[str, ...] = ("please ", "hello, ", "hi there, ", "good afternoon, ", "excuse me, ")

# Swear words and insults as shoppers type them; inserted before a noun or as an interjection.
OFFENSIVE_ADJECTIVES: tuple[str, ...] = (
    "damn", "bloody", "fucking", "f*cking", "freaking", "goddamn", "stupid", "crappy", "shitty", "frigging",
)  # fmt: skip
OFFENSIVE_INTERJECTIONS: tuple[str, ...] = (
    "wtf, ", "what the hell, ", "for fuck's sake, ", "goddammit, ", "ffs ", "damn it, ", "jesus, ",
)  # fmt: skip
OFFENSIVE_TAILS: tuple[str, ...] = (", dammit", " for god's sake", ", you idiots", " ffs", ", useless bot")

# Nouns a swear word can go in front of ("my fucking order").
SHOP_NOUNS: frozenset[str] = _word_set(
    """
    order orders package parcel delivery invoice invoices bill receipt refund money account password card
    payment address item items purchase product shipping subscription newsletter profile email review
    return fee fees code coupon website site app agent person stuff thing shipment tracking
    """
)

# Casual spellings and contractions, word by word (lower case).
COLLOQUIAL_WORDS: dict[str, tuple[str, ...]] = {
    "you": ("u", "ya"),
    "your": ("ur", "yr"),
    "please": ("pls", "plz", "pleeease"),
    "want to": ("wanna",),
    "going to": ("gonna",),
    "got to": ("gotta",),
    "have to": ("gotta",),
    "give me": ("gimme",),
    "to": ("2",),
    "for": ("4",),
    "thanks": ("thx", "ty"),
    "because": ("cuz", "bc"),
    "i am": ("im",),
    "i'm": ("im",),
    "don't": ("dont",),
    "can't": ("cant",),
    "what is": ("whats",),
    "are": ("r",),
    "okay": ("ok", "k"),
    "really": ("rly",),
    "tomorrow": ("tmrw",),
    "message": ("msg",),
    "information": ("info",),
}
COLLOQUIAL_OPENINGS: tuple[str, ...] = ("hey ", "yo ", "hiya ", "so ", "ok so ", "umm ", "hey there ")
COLLOQUIAL_TAILS: tuple[str, ...] = (" lol", " asap", " real quick", " thx", " pls", "??", " haha")

# Frames for a request said as a noun phrase; {core} is the -ing form ("help with | cancelling my order").
GERUND_FRAMES: tuple[str, ...] = (
    "help with {core}",
    "I have problems with {core}",
    "assistance {core}",
    "information about {core}",
    "I need help {core}",
    "question about {core}",
    "trouble {core}",
    "{core}, how does that work",
)
# Irregular -ing forms; the rest follow spelling rules in phenomena.gerund().
GERUNDS: dict[str, str] = {
    "cancel": "cancelling", "log": "logging", "set": "setting", "get": "getting", "sign": "signing",
    "stop": "stopping", "put": "putting", "shop": "shopping", "swap": "swapping", "see": "seeing",
    "use": "using", "leave": "leaving", "make": "making", "give": "giving", "write": "writing",
    "receive": "receiving", "rate": "rating", "move": "moving", "purchase": "purchasing",
    "exchange": "exchanging", "change": "changing", "delete": "deleting", "update": "updating",
    "close": "closing", "create": "creating", "subscribe": "subscribing", "unsubscribe": "unsubscribing",
    "remove": "removing", "compare": "comparing", "redeem": "redeeming", "place": "placing",
    "file": "filing", "reset": "resetting", "submit": "submitting", "forget": "forgetting",
    "ship": "shipping", "plan": "planning",
}  # fmt: skip

# Singular <-> plural of the nouns shoppers inflect most.
NOUN_PLURALS: dict[str, str] = {
    "order": "orders", "invoice": "invoices", "item": "items", "package": "packages", "parcel": "parcels",
    "refund": "refunds", "account": "accounts", "password": "passwords", "payment": "payments",
    "address": "addresses", "delivery": "deliveries", "product": "products", "bill": "bills",
    "fee": "fees", "purchase": "purchases", "option": "options", "method": "methods", "return": "returns",
    "review": "reviews", "card": "cards", "profile": "profiles", "subscription": "subscriptions",
}  # fmt: skip

# Keyboard neighbours on a QWERTY layout, for typos a thumb makes.
KEYBOARD_NEIGHBOURS: dict[str, str] = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij", "i": "uok",
    "o": "ipl", "p": "ol", "a": "qsz", "s": "adw", "d": "sfe", "f": "dgr", "g": "fht", "h": "gjy",
    "j": "hku", "k": "jli", "l": "ko", "z": "xa", "x": "zcs", "c": "xvd", "v": "cbf", "b": "vng",
    "n": "bmh", "m": "nj",
}  # fmt: skip
