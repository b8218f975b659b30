"""Deterministic synthetic data shaped like the project's graphs, at any size.

The shape follows data/graphs: organizations (``org:Organization`` with a ``schema:name``),
documents (``foaf:Document`` with a title, a date and one to three creator organizations) and
W3C Web Annotations grounding statements in a document by a text quote
(``oa:Annotation`` with an ``oa:hasBody`` organization -> blank ``oa:SpecificResource`` ->
blank ``oa:TextQuoteSelector`` with ``oa:exact``), as in data/graphs/provenance.ttl.

Usage: ``python bench/datagen.py --triples 100000 --seed 42 -o out.ttl``
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from pathlib import Path

PREFIXES = """\
@prefix kgo: <https://w3id.org/dhs-ai-kg/id/org/> .
@prefix kgd: <https://w3id.org/dhs-ai-kg/id/doc/> .
@prefix kga: <https://w3id.org/dhs-ai-kg/id/annotation/> .
@prefix dak: <https://w3id.org/dhs-ai-kg/ontology#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix schema: <https://schema.org/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

"""

# Vocabulary of the release text, so regex filters have realistic selectivity.
_VOCABULARY = (
    "civil rights immigrant racial justice groups public comments office management budget "
    "draft guidance executive order artificial intelligence protection liberties limiting "
    "discrimination advancing equity governance framework risk assessment flawed abandon "
    "mitigation recommendations exemptions waivers exceptions policy loopholes purposes "
    "rights-impacting agencies evaluate assess technologies inventory enforcement mechanisms "
    "contract termination failure minimum practices homeland security deployment border "
    "asylum process interior work permits noncitizens citizens protections advocating "
    "families organizing hub campaign accountability data technology power community"
)
WORDS = _VOCABULARY.split()
RARE_WORDS = ("surveillance", "Surveillance", "biometric", "facial recognition")

ANNOTATIONS_PER_DOC = 8
TRIPLES_PER_ORG = 3  # type, name, url
TRIPLES_PER_ANNOTATION = 12  # approximate; comments are optional


def _quote(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
    if rng.random() < 0.05:  # ~5% of the quotes mention surveillance & co.
        words.insert(rng.randrange(len(words)), rng.choice(RARE_WORDS))
    return " ".join(words)


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generate(triples: int, seed: int = 42) -> Iterator[str]:
    """Yield Turtle chunks (after the prefixes) for about ``triples`` triples; same seed, same text.

    Always has at least ``org-00001`` .. ``org-00010`` and ``doc-000001``, which the benchmark
    queries name.
    """
    rng = random.Random(seed)
    per_doc = 6 + ANNOTATIONS_PER_DOC * TRIPLES_PER_ANNOTATION
    n_docs = max(1, triples // per_doc)
    n_orgs = max(10, n_docs // 10)
    for i in range(1, n_orgs + 1):
        yield (
            f"kgo:org-{i:05d} a org:Organization ;\n"
            f"    schema:name {_lit(f'Organization {i}')} ;\n"
            f"    schema:url <https://example.org/org/{i}> .\n"
        )
    ann = 0
    for d in range(1, n_docs + 1):
        creators = sorted({rng.randint(1, n_orgs) for _ in range(rng.randint(1, 3))})
        creator_list = ", ".join(f"kgo:org-{c:05d}" for c in creators)
        yield (
            f"kgd:doc-{d:06d} a foaf:Document ;\n"
            f"    dcterms:identifier {_lit(f'doc-{d:06d}')} ;\n"
            f"    dcterms:title {_lit(f'Document {d}')} ;\n"
            f'    dcterms:date "2023-{1 + d % 12:02d}-{1 + d % 28:02d}"^^xsd:date ;\n'
            f"    dcterms:creator {creator_list} .\n"
        )
        for _ in range(ANNOTATIONS_PER_DOC):
            ann += 1
            a = f"kga:ann-{ann:07d}"
            creator = rng.choice(creators)
            comment = (
                f"    rdfs:comment {_lit('Grounds statement ' + str(ann))} ;\n"
                if rng.random() < 0.5
                else ""
            )
            yield (
                f"{a} a oa:Annotation ;\n"
                f"    oa:motivatedBy oa:describing ;\n"
                f"{comment}"
                f"    oa:hasBody kgo:org-{creator:05d} ;\n"
                f"    oa:hasTarget [\n"
                f"        a oa:SpecificResource ;\n"
                f"        oa:hasSource kgd:doc-{d:06d} ;\n"
                f"        oa:hasSelector [ a oa:TextQuoteSelector ;\n"
                f"            oa:exact {_lit(_quote(rng))} ;\n"
                f"            oa:prefix {_lit(rng.choice(WORDS))} ;\n"
                f"            oa:suffix {_lit(rng.choice(WORDS))} ]\n"
                f"    ] .\n"
            )


def write(path: Path, triples: int, seed: int = 42) -> Path:
    """Write the synthetic Turtle file to ``path`` (through a temporary name) and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        out.write(PREFIXES)
        for chunk in generate(triples, seed):
            out.write(chunk)
    tmp.replace(path)
    return path


def main() -> None:
    """Command line: write one synthetic file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    write(args.output, args.triples, args.seed)


if __name__ == "__main__":
    main()
