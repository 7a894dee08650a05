"""Example consumer of Enricher's output with the Confluent Python client and its schema-registry Avro
deserializer (confluent-kafka >= 2.0 with fastavro: pip install "confluent-kafka[avro]").

- isolation.level=read_committed: under exactly_once_v2 the output of aborted transactions is skipped.
- Keys are the input records' keys, byte for byte (not Avro); printed as UTF-8 text here.
- Values are Avro in the Confluent wire format; the deserializer fetches the writer schema by the id in each
  record from the registry.

usage: python3 consume_enriched.py BOOTSTRAP REGISTRY_URL TOPIC
"""
import json
import sys

from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def main(bootstrap, registry_url, topic):
    deserialize = AvroDeserializer(schema_registry_client=SchemaRegistryClient({"url": registry_url}))
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "enriched-example",
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
    })
    consumer.subscribe([topic])
    try:
        while True:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                print(json.dumps({"error": str(msg.error())}), file=sys.stderr, flush=True)
                continue
            key = msg.key().decode("utf-8", errors="replace") if msg.key() is not None else None
            event = deserialize(msg.value(), SerializationContext(msg.topic(), MessageField.VALUE))
            print(json.dumps({"key": key, "event": event}, ensure_ascii=False, default=str), flush=True)
    finally:
        consumer.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
