"""The Map rules of the validation pass that depend on its processing mode (validate.py calls
`check_map` for every Map state).

- ProcessorConfig: Mode INLINE | DISTRIBUTED; a DISTRIBUTED one names its ExecutionType
  (STANDARD | EXPRESS); INLINE takes none.
- ItemBatcher only in DISTRIBUTED mode; its fields, their paths (JSONPath) or expressions
  (JSONata), positive limits, MaxInputBytesPerBatch at most 256 KiB, BatchInput a template.
- Label: 1 to 40 characters, none of those AWS refuses (recorded: whitespace, `?*<>{}[]:;,\\|^~$#%&`
  and `"`, control characters); we refuse `/` too, which would break the Map Run ARN.
- ItemReader and ResultWriter read and write Amazon S3, which stepstack does not emulate: a
  definition with either is refused here rather than failing when it runs.

Known differences from AWS: the wording of the ProcessorConfig, ItemBatcher and S3 problems is
ours; AWS words its Label problems as "Label cannot be empty", "Label cannot exceed 40
characters" and "Label contains invalid character: 'c'" (recorded), which we give as
SCHEMA_VALIDATION_FAILED problems at the Label.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from services.stepfunctions.asl.messages import expected_type, not_supported, one_of, only_one, required

if TYPE_CHECKING:
    from services.stepfunctions.asl.validate import _Validator

MAX_LABEL = 40
MAX_BATCH_BYTES = 256 * 1024
_LABEL_FORBIDDEN = re.compile(r"[\s?*<>{}\[\]:;,\\|^~$#%&`\"/\x00-\x1f\x7f-\x9f]")
_BATCHER_FIELDS = ("MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", "BatchInput")
_JSONPATH_BATCHER_FIELDS = ("MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath")


def no_s3(field: str) -> str:
    action = "read its items from" if field == "ItemReader" else "write its results to"
    return f"The Map state's {field} would {action} Amazon S3, which stepstack does not emulate yet"


def check_map(v: _Validator, st: dict[str, Any], loc: str, language: str) -> None:
    mode = _mode(v, st, loc)
    for field in ("ItemReader", "ResultWriter"):
        if field in st:
            v.error(no_s3(field), f"{loc}/{field}")
    if "ItemBatcher" in st:
        if mode != "DISTRIBUTED":
            v.error("The field 'ItemBatcher' is supported only when the ProcessorConfig Mode is DISTRIBUTED", f"{loc}/ItemBatcher")
        elif isinstance(st["ItemBatcher"], dict):
            _batcher(v, st["ItemBatcher"], f"{loc}/ItemBatcher", language)
    if isinstance(st.get("Label"), str):
        _label(v, st["Label"], f"{loc}/Label")


def _mode(v: _Validator, st: dict[str, Any], loc: str) -> str:
    field = "ItemProcessor" if "ItemProcessor" in st else "Iterator"
    processor = st.get(field)
    config = processor.get("ProcessorConfig") if isinstance(processor, dict) else None
    if not isinstance(config, dict):
        return "INLINE"
    here = f"{loc}/{field}/ProcessorConfig"
    for key in config:
        if key not in ("Mode", "ExecutionType"):
            v.error(not_supported(key), here)
    mode = config.get("Mode", "INLINE")
    if mode not in ("INLINE", "DISTRIBUTED"):
        v.error(one_of("INLINE", "DISTRIBUTED"), f"{here}/Mode")
        return "INLINE"
    kind = config.get("ExecutionType")
    if mode == "DISTRIBUTED":
        if "ExecutionType" not in config:
            v.error(required("ExecutionType"), here)
        elif kind not in ("STANDARD", "EXPRESS"):
            v.error(one_of("STANDARD", "EXPRESS"), f"{here}/ExecutionType")
    elif "ExecutionType" in config:
        v.error("The field 'ExecutionType' is supported only when the ProcessorConfig Mode is DISTRIBUTED", here)
    return str(mode)


def _batcher(v: _Validator, batcher: dict[str, Any], loc: str, language: str) -> None:
    jsonata = language == "JSONata"
    for key in batcher:
        if key not in _BATCHER_FIELDS or (jsonata and key in _JSONPATH_BATCHER_FIELDS):
            v.error(not_supported(key), loc)
    for field in ("MaxItemsPerBatch", "MaxInputBytesPerBatch"):
        if field in batcher and f"{field}Path" in batcher:
            v.error(only_one(field, f"{field}Path"), loc)
        if jsonata and isinstance(batcher.get(field), str):
            v.expression(batcher[field], f"{loc}/{field}", field)
        else:
            v.integer(batcher, field, loc, minimum=1, maximum=MAX_BATCH_BYTES if field == "MaxInputBytesPerBatch" else 99999999)
        if not jsonata:
            v.path(batcher, f"{field}Path", loc, reference=True, nullable=False)
    if not any(f in batcher for f in _BATCHER_FIELDS[:4]):
        v.error(required("MaxItemsPerBatch") + " (or MaxItemsPerBatchPath, MaxInputBytesPerBatch, MaxInputBytesPerBatchPath)", loc)
    if "BatchInput" in batcher:
        if not isinstance(batcher["BatchInput"], dict) and not jsonata:
            v.error(expected_type("OBJECT"), f"{loc}/BatchInput")
        elif jsonata:
            v.expression(batcher["BatchInput"], f"{loc}/BatchInput", "BatchInput")
        else:
            v.template(batcher["BatchInput"], f"{loc}/BatchInput")


def _label(v: _Validator, label: str, loc: str) -> None:
    if not label:
        v.error("Label cannot be empty", loc)
    elif len(label) > MAX_LABEL:
        v.error(f"Label cannot exceed {MAX_LABEL} characters", loc)
    elif (bad := _LABEL_FORBIDDEN.search(label)) is not None:
        v.error(f"Label contains invalid character: '{bad.group()}'", loc)
