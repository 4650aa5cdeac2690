"""Amazon Resource Names: build and take apart; the partition follows the region."""

from __future__ import annotations

import functools
from dataclasses import dataclass

# region prefix -> partition, longest prefixes first
_PARTITIONS = (
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-iso-", "aws-iso"),
    ("us-gov-", "aws-us-gov"),
    ("cn-", "aws-cn"),
)


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


@functools.lru_cache(maxsize=64)
def partition_of(region: str) -> str:
    """`aws`, `aws-cn`, `aws-us-gov` or one of the `aws-iso*` partitions."""
    for prefix, partition in _PARTITIONS:
        if region.startswith(prefix):
            return partition
    return "aws"


def build_arn(service: str, region: str, account: str, resource: str, *, partition: str | None = None) -> str:
    """An ARN in the region's partition (global resources, such as IAM's, pass `partition`)."""
    return f"arn:{partition or partition_of(region)}:{service}:{region}:{account}:{resource}"


def parse_arn(text: str) -> Arn | None:
    """Split an ARN into its parts; None when it is not one."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])
