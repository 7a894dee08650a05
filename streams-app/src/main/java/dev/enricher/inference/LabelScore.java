package dev.enricher.inference;

/** One label of a sequence classification and its score (after the classification function). */
public record LabelScore(String label, float score) {}
