"""Seeds one order. Runs after 10-resources.yaml (name order), with the server's Python,
AWS_ENDPOINT_URL, a region and dummy credentials set: boto3 needs no configuration."""

import json

import boto3

sqs = boto3.client("sqs")
url = sqs.get_queue_url(QueueName="orders")["QueueUrl"]
sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"order": 1, "item": "book"}))
print(f"seeded one order in {url}")
