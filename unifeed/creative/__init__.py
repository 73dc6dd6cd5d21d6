"""Creatives written from a brief by a language model, and reviewed before they serve.

    writer = CreativeWriter.from_settings(Settings())   # opens the model once, at start-up
    generation = writer.submit(brief, variants=5).result()
    generation.approved, generation.parse_pass_rate, generation.review_pass_rate
    review(creative, brief).rejections                    # any creative, typed or generated

See docs/creative.md.
"""

from unifeed.creative.brief import Brief
from unifeed.creative.generation import Attempt, Generation, generate
from unifeed.creative.review import Rejection, ReviewResult, Rule, review, review_campaign
from unifeed.creative.variant import AdText, Angle, CallToAction, Creative
from unifeed.creative.worker import CreativeWriter

__all__ = [
    "AdText",
    "Angle",
    "Attempt",
    "Brief",
    "CallToAction",
    "Creative",
    "CreativeWriter",
    "Generation",
    "Rejection",
    "ReviewResult",
    "Rule",
    "generate",
    "review",
    "review_campaign",
]
