#!/usr/bin/env python3
"""Read an sfsync topic written with the Confluent Schema Registry framing,
with confluent-kafka's own AvroDeserializer, and print each record as one
JSON line: {"partition", "offset", "key", "value"}.

It is what a team's Python consumer does (see README, "Reading the topics
with a Schema Registry"), and integration/e2e's TestSchemaRegistryInterop
runs it to check that a client no one here wrote decodes our records.

    read_topic.py --brokers 127.0.0.1:19092 \
        --registry http://127.0.0.1:18081/apis/ccompat/v7 \
        --topic sfsync.account --count 100 [--reader-schema envelope_v1.avsc]

Without --reader-schema, records are decoded with their writer schema,
fetched from the registry by the id in each record; with it, they are
resolved into that (older) reader schema, as an application compiled
against it would read them. Values print in JSON; Avro types JSON lacks are
tagged strings: bytes "hex:..", dates "date:YYYY-MM-DD", timestamps
"ts:<epoch ms>", times of day "time:<ms>", decimals "dec:<unscaled>:<scale>".
"""

import argparse
import datetime
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def plain(v):
    """Returns v with every value JSON lacks turned into a tagged string."""
    if isinstance(v, dict):
        if set(v) == {"unscaled", "scale"} and isinstance(v["unscaled"], bytes):
            unscaled = int.from_bytes(v["unscaled"], "big", signed=True)
            return "dec:%d:%d" % (unscaled, v["scale"])
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, bytes):
        return "hex:" + v.hex()
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        return "ts:%d" % ((v - EPOCH) // datetime.timedelta(milliseconds=1))
    if isinstance(v, datetime.date):
        return "date:" + v.isoformat()
    if isinstance(v, datetime.time):
        ms = ((v.hour * 60 + v.minute) * 60 + v.second) * 1000 + v.microsecond // 1000
        return "time:%d" % ms
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--registry", required=True, help="base URL of the Confluent-compatible API")
    ap.add_argument("--topic", required=True)
    ap.add_argument("--count", type=int, required=True, help="stop after this many records")
    ap.add_argument("--reader-schema", help="an .avsc file to resolve records into")
    ap.add_argument("--timeout", type=float, default=120, help="seconds to wait for --count records")
    args = ap.parse_args()

    registry = SchemaRegistryClient({"url": args.registry})
    reader = None
    if args.reader_schema:
        with open(args.reader_schema) as f:
            reader = f.read()
    deserialize = AvroDeserializer(registry, schema_str=reader)
    consumer = Consumer({
        "bootstrap.servers": args.brokers,
        "group.id": "interop-%s-%d" % (args.topic, time.time_ns()),
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([args.topic])
    seen = 0
    deadline = time.monotonic() + args.timeout
    try:
        while seen < args.count:
            if time.monotonic() > deadline:
                print("read %d of %d records of %s within %gs" % (seen, args.count, args.topic, args.timeout), file=sys.stderr)
                return 1
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                raise KafkaException(msg.error())
            value = deserialize(msg.value(), SerializationContext(msg.topic(), MessageField.VALUE))
            key = msg.key().decode() if msg.key() is not None else None
            print(json.dumps({"partition": msg.partition(), "offset": msg.offset(), "key": key, "value": plain(value)}))
            seen += 1
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
