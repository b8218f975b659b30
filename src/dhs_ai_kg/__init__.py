"""dhs-ai-kg: the 5 December 2023 coalition comments to OMB on DHS use of AI, as RDF."""

__version__ = "0.1.0"
