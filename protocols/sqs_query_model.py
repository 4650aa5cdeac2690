"""SQS's Query-protocol model, derived from botocore's JSON model.

botocore now ships SQS as JSON only; older SDKs (Java v1, Go v1, the PHP and
Ruby v2 SDKs) still speak the Query protocol, whose wire names differ:
flattened lists and maps are named by their element (`AttributeName.1`,
`Attribute.1.Name`, `SendMessageBatchRequestEntry.1.Id`). The names below are
those of the SQS Query API reference; everything else comes from the JSON model.
"""

from __future__ import annotations

from typing import Any

import orjson

XML_NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/"

# list shape -> the wire name of each element
_LIST_ELEMENT_NAMES = {
    "AWSAccountIdList": "AWSAccountId",
    "ActionNameList": "ActionName",
    "AttributeNameList": "AttributeName",
    "MessageAttributeNameList": "MessageAttributeName",
    "MessageSystemAttributeList": "MessageSystemAttributeName",
    "QueueUrlList": "QueueUrl",
    "TagKeyList": "TagKey",
    "StringList": "StringListValue",
    "BinaryList": "BinaryListValue",
}

# structure member -> its wire name (maps and flattened lists named by their entry)
_MEMBER_NAMES = {
    "Attributes": "Attribute",
    "MessageAttributes": "MessageAttribute",
    "MessageSystemAttributes": "MessageSystemAttribute",
    "tags": "Tag",
    "Tags": "Tag",
    "StringListValues": "StringListValue",
    "BinaryListValues": "BinaryListValue",
}

# map shape -> (key name, value name)
_MAP_ENTRY_NAMES = {"TagMap": ("Key", "Value")}


def sqs_query_model(json_model: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of botocore's SQS JSON model that describes the Query wire format."""
    model = orjson.loads(orjson.dumps(json_model))  # a deep copy, at a third of copy.deepcopy's cost
    metadata = model["metadata"]
    for key in ("jsonVersion", "targetPrefix", "awsQueryCompatible"):
        metadata.pop(key, None)
    metadata.update(protocol="query", protocols=["query"], xmlNamespace=XML_NAMESPACE)
    for name, operation in model["operations"].items():
        if "output" in operation:
            operation["output"]["resultWrapper"] = f"{name}Result"
    shapes = model["shapes"]
    for shape_name, shape in shapes.items():
        kind = shape["type"]
        if kind == "list":
            member = shape["member"]
            element = _LIST_ELEMENT_NAMES.get(shape_name)
            if element is None and shapes[member["shape"]]["type"] == "structure":
                element = member["shape"]
            if element is not None:
                member["locationName"] = element
        elif kind == "map":
            key_name, value_name = _MAP_ENTRY_NAMES.get(shape_name, ("Name", "Value"))
            shape["key"]["locationName"] = key_name
            shape["value"]["locationName"] = value_name
        elif kind == "structure" and not shape.get("exception"):
            for member_name, member in shape["members"].items():
                if member_name in _MEMBER_NAMES:
                    member["locationName"] = _MEMBER_NAMES[member_name]
    return model
