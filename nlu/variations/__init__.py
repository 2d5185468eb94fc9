"""Training-time variations of our own NLU examples along the ways real shoppers phrase requests.

`component.TrainingVariations` is the Rasa graph component (first in config.yml's pipeline) that adds
the variants while a model trains; `phenomena` holds one rewrite per language phenomenon; `example`
keeps entity spans intact while words change. docs/nlu.md explains the measurement behind it.
"""
