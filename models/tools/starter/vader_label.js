#!/usr/bin/env node
// Scores texts with VADER (npm vader-sentiment, Apache-2.0), the teacher for the starter sentiment data.
// stdin:  one JSON object a line, {"text": "..."}
// stdout: one JSON object a line, in the same order, {"compound": c, "neg": n, "neu": u, "pos": p}
// Run by make_data.py with NODE_PATH pointing at the node_modules it installed (npm ci) under its --out folder.
'use strict';
const readline = require('readline');
const vader = require('vader-sentiment');

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
const out = [];
rl.on('line', (line) => {
  if (line.trim() === '') return;
  const s = vader.SentimentIntensityAnalyzer.polarity_scores(JSON.parse(line).text);
  out.push(JSON.stringify({ compound: s.compound, neg: s.neg, neu: s.neu, pos: s.pos }));
  if (out.length >= 1000) process.stdout.write(out.splice(0).join('\n') + '\n');
});
rl.on('close', () => {
  if (out.length) process.stdout.write(out.join('\n') + '\n');
});
