"""The pipeline's Lambda functions (one zip, one handler each).

start      - reads the upload queue (an event source mapping) and starts one execution per image
validate   - opens the image; raises InvalidImage for anything Pillow cannot read
thumbnail  - writes a 32 px thumbnail; busy on its first try for each image (the Retry's work)
metadata   - size, mode and mean brightness
compensate - undoes what a failed run left behind (the thumbnail)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import boto3
from PIL import Image, ImageStat


class InvalidImage(Exception):
    """Not an image Pillow can read: the state machine catches this error by name."""


class ThumbnailBusy(Exception):
    """A transient failure: the state machine retries it."""


def _output(image: str, suffix: str) -> Path:
    out = Path(os.environ["OUTPUT_DIR"])
    out.mkdir(parents=True, exist_ok=True)
    return out / f"{Path(image).stem}{suffix}"


def start(event: dict[str, Any], context: Any) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions")
    target = os.environ["STATE_MACHINE_ARN"] + (f"#{os.environ['TEST_CASE']}" if os.environ.get("TEST_CASE") else "")
    for record in event["Records"]:
        upload = json.loads(record["body"])
        sfn.start_execution(stateMachineArn=target, name=upload["name"], input=json.dumps({"image": upload["image"]}))
    return {"batchItemFailures": []}


def validate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    path = event["image"]
    try:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            return {"path": path, "format": image.format, "width": image.width, "height": image.height}
    except (OSError, SyntaxError) as error:
        raise InvalidImage(f"{Path(path).name} is not an image: {error}") from None


def thumbnail(event: dict[str, Any], context: Any) -> dict[str, Any]:
    path = event["image"]
    marker = _output(path, ".tried")
    if not marker.exists():  # the first attempt for this image fails, the retry succeeds
        marker.write_text("1")
        raise ThumbnailBusy("the thumbnail service is busy, try again")
    target = _output(path, ".thumb.png")
    with Image.open(path) as image:
        image.thumbnail((32, 32))
        image.save(target)
    return {"path": str(target)}


def metadata(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with Image.open(event["image"]) as image:
        brightness = ImageStat.Stat(image.convert("L")).mean[0]
        return {"width": image.width, "height": image.height, "mode": image.mode, "brightness": round(brightness, 1)}


def compensate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    removed = []
    for suffix in (".thumb.png", ".tried"):
        leftover = _output(event["image"], suffix)
        if leftover.exists():
            leftover.unlink()
            removed.append(leftover.name)
    return {"removed": removed}
