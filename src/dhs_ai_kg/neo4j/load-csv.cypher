// Loads nodes.csv and relationships.csv (dhs-ai-kg export --format neo4j) with LOAD CSV.
// Needs Neo4j 5.26 or later (dynamic labels, relationship types and property keys; no APOC).
// Put both CSV files in the database's import folder, then: cypher-shell -f load-csv.cypher
// The column headers are those of neo4j-admin's import (name:type, arrays split on ';'), so
// the same two files serve both ways in; docs/property-graphs.md describes the mapping.

CREATE CONSTRAINT resource_iri IF NOT EXISTS FOR (n:Resource) REQUIRE n.iri IS UNIQUE;

// Nodes: the id column, the labels, then every typed property column that has a value.
LOAD CSV WITH HEADERS FROM 'file:///nodes.csv' AS row
MERGE (n:Resource {iri: row.`iri:ID`})
SET n:$(split(row.`:LABEL`, ';'))
WITH n, row
UNWIND [c IN keys(row) WHERE NOT c IN ['iri:ID', ':LABEL'] AND coalesce(row[c], '') <> ''] AS column
WITH n, row[column] AS text, split(column, ':')[0] AS key, split(column, ':')[1] AS type
SET n[key] = CASE type
    WHEN 'long' THEN toInteger(text)
    WHEN 'double' THEN toFloat(text)
    WHEN 'boolean' THEN toBoolean(text)
    WHEN 'long[]' THEN [x IN split(text, ';') | toInteger(x)]
    WHEN 'double[]' THEN [x IN split(text, ';') | toFloat(x)]
    WHEN 'boolean[]' THEN [x IN split(text, ';') | toBoolean(x)]
    WHEN 'string[]' THEN split(text, ';')
    ELSE text
  END;

// Relationships: one per edge, found again by its stable id when the script is run twice.
LOAD CSV WITH HEADERS FROM 'file:///relationships.csv' AS row
MATCH (s:Resource {iri: row.`:START_ID`}), (o:Resource {iri: row.`:END_ID`})
MERGE (s)-[r:$(row.`:TYPE`) {id: row.`id:string`}]->(o)
SET r.predicate = row.`predicate:string`,
    r.graphs = split(row.`graphs:string[]`, ';');
