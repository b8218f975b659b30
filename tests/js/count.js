// Count the quads N3.js parses from a file: node count.js FILE FORMAT (Turtle, TriG,
// N-Triples, N-Quads); prints the count, or the parser's error on stderr with exit 1.
"use strict";
const fs = require("fs");
const { Parser } = require("n3");

const [file, format] = process.argv.slice(2);
try {
  const quads = new Parser({ format }).parse(fs.readFileSync(file, "utf8"));
  process.stdout.write(`${quads.length}\n`);
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
