"""Answers to product questions from the product knowledge graph (via the knowledge-graph service).

One module per kind of question, each with its action (the `name()` strings are the ones
bot/domain.yml lists; rasa-sdk registers them by importing this package):

- info.py             action_product_info: what a product is, or one thing about it
- availability.py     action_product_availability: stock by size and colour
- price.py            action_product_price: price, and the shopper's personal price
- coupons.py          action_apply_coupon: check and remember a coupon code
- compatibility.py    action_compatible_products: what fits what
- similar.py          action_similar_products: alternatives, cheaper ones, successors
- comparison.py       action_compare_products: two products side by side
- search.py           action_product_search: search for what the message looks for
- recommendations.py  action_recommend_products: the recommendations backend's picks
- policy.py           action_product_policy: sizing, warranty, care... from the graph's FAQ or the shop

and what they share:

- base.py             ProductAction: client, "which product", asking which one, the "down" apology
- resolution.py       which product the shopper means (listed, named, "it", the whole message)
- context.py          the message's product words and the product slots (what "it" is)
- query.py            what a product-seeking message looks for, without its framing ("do you have...")
- search_results.py   the answer that lists search hits (search, and recommendations' fallback)
- followup.py         a bare "the second one" / "large" continuing a product conversation
- knowledge_base.py   the graph as a rasa-sdk KnowledgeBase (mentions, "the second one")
- words.py            what shoppers say about products (sizes, colours, attribute words, topics)
- texts.py            the wording of every product answer

General answers (sizing, warranty, care...) and the "catalogue is down" apology are in
the message catalogue's `policies:` section (bot/texts/<language>.yml).
"""
