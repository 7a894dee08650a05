"""Reads EnrichedEvent records from a topic with the Confluent Python client (librdkafka) and its Avro
consumer (Debian's python3-confluent-kafka with python3-avro), which fetches the writer schema from the schema
registry by the id in each record. Prints one JSON line per record. Written without any of Enricher's code: it
is what an existing consumer does.

usage: consume_enriched.py BOOTSTRAP REGISTRY_URL TOPIC COUNT TIMEOUT_SECONDS
"""
import json
import sys
import time

from confluent_kafka import Consumer
from confluent_kafka.avro import CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer

bootstrap, registry_url, topic, count, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
# Keys are the input's raw keys (not Avro): only values go through the registry-aware decoder.
values = MessageSerializer(CachedSchemaRegistryClient({"url": registry_url}))
consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": "python-interop-" + str(time.time()),
    "auto.offset.reset": "earliest",
    "isolation.level": "read_committed",
})
consumer.subscribe([topic])
seen = 0
deadline = time.time() + timeout
while seen < count and time.time() < deadline:
    msg = consumer.poll(0.5)
    if msg is None:
        continue
    if msg.error():
        print(json.dumps({"error": str(msg.error())}), flush=True)
        continue
    v = values.decode_message(msg.value())
    c = v["classifications"][0] if v["classifications"] else None
    print(json.dumps({
        "id": v["id"],
        "text": v["text"],
        "source_offset": v["source_offset"],
        "top_label": c["top_label"] if c else None,
        "top_score": c["top_score"] if c else None,
        "scores": [[s["label"], s["score"]] for s in c["scores"]] if c else None,
        "service_version": v["service_version"],
        "entities": [[x["entity_group"], x["word"], x["start_offset"], x["end_offset"], x["score"]]
                     for x in v["entities"]],
        "models": [[c["task"], c["model"]["bundle"], c["model"]["sha256"], c["model"]["device"]]
                   for c in v["classifications"]]
                  + ([["ner", v["ner"]["model"]["bundle"], v["ner"]["model"]["sha256"], v["ner"]["model"]["device"]]]
                     if v["ner"] else []),
    }, ensure_ascii=False), flush=True)
    seen += 1
consumer.close()
