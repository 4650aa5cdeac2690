"""The validation pass: every problem in a definition, worded and located as AWS does.

`validate(raw)` walks the parsed JSON (not the tree: a definition must be valid before a tree
can be built) and returns all problems, in AWS's order: schema problems first (in definition
order), then transitions of each scope (dangling targets, then MISSING_END_STATE, then
unreachable states), top-level scope first.

Wording sources (see tests/test_sfn_definitions.py for the pinned cases):
- verified against AWS responses quoted in public issues and recorded snapshots:
  "These fields are required: [States, StartAt]" at "/", "Field 'X' is not supported",
  "The field 'Type' should have one of these values: [...]", "Missing 'Next' target: X",
  'State "X" is not reachable.', "Workflow has no terminal state" (location null),
  "Value must be a valid JSONPath.", "The value for the field 'k.$' must be a valid JSONPath
  or a valid intrinsic function call", "Value should be one of the following: [...]",
  "Expected value of type [STRING]", "Minimum value is 0", the QueryLanguage messages.
- reported by third-party linters that quote AWS: "Value cannot be empty",
  "States.ALL must appear alone and at end of list", "There should only be one of the
  following fields: [...]", "String does not match RFC3339 timestamp", "These fields are
  required: [Next]" for a Choice rule or Catcher.

Known differences from AWS (wording not confirmed against AWS, behaviour as the spec says):
- a state with neither Next nor End: "These fields are required: [Next]";
- a Wait state with none of its four fields, HeartbeatSeconds >= TimeoutSeconds, state names
  over 80 characters (INVALID_STATE_NAME) and duplicated names (DUPLICATE_STATE_NAME);
- Resource is only checked to look like an ARN; AWS also knows which services exist (aws-sdk
  resources and their fields are checked against botocore's models: integrations/aws_sdk/checks.py);
- a JSONata expression that does not parse: "The value for the field 'X' must be a valid JSONata
  expression: <the parser's error>" (AWS's wording not recorded);
- the Map rules of distributed mode (ProcessorConfig, ItemBatcher, Label, ItemReader and
  ResultWriter refused: no S3) are in map_rules.py, with their own notes.

The checks of a Choice state's rules and operands are in choice_rules.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from services.stepfunctions.asl.choice_rules import check_choice
from services.stepfunctions.asl.errors import Problem
from services.stepfunctions.asl.integration_rules import unrecognized_integration
from services.stepfunctions.asl.map_rules import check_map
from services.stepfunctions.integrations.aws_sdk.checks import sdk_task_problems
from services.stepfunctions.data.intrinsics import IntrinsicSyntaxError, is_intrinsic, parse_intrinsic
from services.stepfunctions.data.references import validate_reference as validate_path
from services.stepfunctions.asl.messages import (
    ALLOWED_FIELDS,
    CATCHER_FIELDS,
    DOWNGRADED_QUERY_LANGUAGE,
    END_STATE,
    INVALID_PATH,
    INVALID_REFERENCE_PATH,
    INVALID_TIMESTAMP,
    JSONATA_ONLY,
    JSONPATH_ONLY,
    MAX_INT,
    MAX_STATE_NAME,
    NESTED_FIELDS,
    NOT_A_JSON_OBJECT,
    NOT_EMPTY,
    NO_TERMINAL_STATE,
    PROCESSOR_FIELDS,
    REQUIRED_FIELDS,
    RETRIER_FIELDS,
    SCHEMA,
    STATES_ALL_LAST,
    STATE_TYPES,
    TARGET,
    TOP_FIELDS,
    TYPE_VALUES,
    WAIT_FIELDS,
    _ARN,
    _RFC3339,
    expected_type,
    invalid_template_value,
    missing_target,
    non_null,
    not_supported,
    one_of,
    only_in,
    only_one,
    required,
    unreachable,
    unrecognized_resource,
)

# ---------------------------------------------------------------- the pass


def validate(raw: Any) -> list[Problem]:
    """All problems of a definition already parsed from JSON; an empty list means valid."""
    return _Validator().run(raw)


_JSONATA_FIELDS = (
    "Arguments", "Output", "Assign", "Items", "ItemSelector", "Seconds", "Timestamp", "TimeoutSeconds",
    "HeartbeatSeconds", "Error", "Cause", "MaxConcurrency", "ToleratedFailureCount", "ToleratedFailurePercentage",
)


class _Validator:
    def __init__(self) -> None:
        self.schema: list[Problem] = []
        self.scopes: list[tuple[str, dict[str, Any], bool]] = []  # (location prefix, definition, top)
        self.seen_names: set[str] = set()
        self._top_language = "JSONPath"

    def run(self, raw: Any) -> list[Problem]:
        if not isinstance(raw, dict):
            return [Problem(SCHEMA, NOT_A_JSON_OBJECT)]
        declared = raw.get("QueryLanguage", "JSONPath")
        self._top_language = "JSONPath" if declared == "JSONPath" else "JSONata"
        self.definition(raw, "", top=True, language=self._top_language)
        problems = list(self.schema)
        for prefix, definition, top in self.scopes:
            problems += self.transitions(prefix, definition, top)
        return problems

    def error(self, message: str, location: str | None, code: str = SCHEMA) -> None:
        self.schema.append(Problem(code, message, location))

    # ------------------------------------------------------------ definitions and states

    def definition(self, d: Any, prefix: str, *, top: bool = False, processor: bool = False,
                   language: str = "JSONPath") -> None:
        here = prefix or "/"
        if not isinstance(d, dict):
            self.error(expected_type("OBJECT"), here)
            return
        allowed = TOP_FIELDS if top else PROCESSOR_FIELDS if processor else NESTED_FIELDS
        for key in d:
            if key not in allowed:
                self.error(not_supported(key), here)
        missing = [f for f in ("States", "StartAt") if f not in d]
        if missing:
            self.error(required(*missing), here)
        self.typed(d, "Comment", str, "STRING", prefix)
        self.typed(d, "StartAt", str, "STRING", prefix)
        if top:
            self.integer(d, "TimeoutSeconds", prefix, minimum=1)
            self.typed(d, "Version", str, "STRING", prefix)
            self.query_language(d.get("QueryLanguage", None), "QueryLanguage" in d, prefix)
        if processor and "ProcessorConfig" in d:
            self.typed(d, "ProcessorConfig", dict, "OBJECT", prefix)
        states = d.get("States")
        if "States" not in d:
            return
        if not isinstance(states, dict):
            self.error(expected_type("OBJECT"), f"{prefix}/States")
            return
        if not states:
            self.error(NOT_EMPTY, f"{prefix}/States")
        for name in getattr(states, "duplicates", ()):
            self.error(f"Duplicate State name: {name}", f"{prefix}/States/{name}", "DUPLICATE_STATE_NAME")
        self.scopes.append((prefix, d, top))
        for name, state in states.items():
            location = f"{prefix}/States/{name}"
            if name in self.seen_names:
                self.error(f"Duplicate State name: {name}", location, "DUPLICATE_STATE_NAME")
            self.seen_names.add(name)
            if len(name) > MAX_STATE_NAME:
                self.error(f"State name is longer than {MAX_STATE_NAME} characters", location, "INVALID_STATE_NAME")
            self.state(state, location, language)

    def query_language(self, value: Any, present: bool, location: str) -> None:
        if present and not isinstance(value, str):
            self.error(expected_type("STRING"), f"{location}/QueryLanguage")
        elif present and value not in ("JSONPath", "JSONata"):
            self.error(one_of("JSONPath", "JSONata"), f"{location}/QueryLanguage")

    def state(self, st: Any, loc: str, inherited: str) -> None:
        if not isinstance(st, dict):
            self.error(expected_type("OBJECT"), loc)
            return
        kind = st.get("Type")
        if kind is None:
            self.error(non_null("Type"), loc)
            return
        if kind not in STATE_TYPES:
            self.error(TYPE_VALUES, f"{loc}/Type")
            return
        for key in st:
            if key not in ALLOWED_FIELDS[kind]:
                self.error(not_supported(key), loc)
        missing = [f for f in REQUIRED_FIELDS.get(kind, ()) if f not in st]
        if kind == "Map" and "ItemProcessor" not in st and "Iterator" not in st:
            missing.append("ItemProcessor")
        if missing:
            self.error(required(*missing), loc)

        language = self.state_language(st, loc, inherited)
        self.typed(st, "Comment", str, "STRING", loc)
        if kind not in ("Choice", "Succeed", "Fail"):
            self.flow(st, loc)
        if language == "JSONPath":
            self.path(st, "InputPath", loc)
            self.path(st, "OutputPath", loc)
            self.path(st, "ResultPath", loc, reference=True)
            for field in ("Parameters", "ResultSelector", "Assign"):
                if field in st:
                    self.template(st[field], f"{loc}/{field}")
        for field in ("Retry", "Catch"):
            if field in st and field in ALLOWED_FIELDS[kind]:
                self.handlers(st[field], f"{loc}/{field}", catch=field == "Catch", language=language)
        getattr(self, f"state_{kind.lower()}")(st, loc, language)
        if language == "JSONata":
            self.expressions(st, loc)

    def expressions(self, st: dict[str, Any], loc: str) -> None:
        """Every `{% %}` expression of a JSONata state must parse."""
        for field in _JSONATA_FIELDS:
            if field in st:
                self.expression(st[field], f"{loc}/{field}", field)
        for group, fields in (("Choices", ("Condition", "Output", "Assign")), ("Catch", ("Output", "Assign"))):
            entries = st.get(group)
            for i, entry in enumerate(entries if isinstance(entries, list) else ()):
                for field in fields:
                    if isinstance(entry, dict) and field in entry:
                        self.expression(entry[field], f"{loc}/{group}[{i}]/{field}", field)

    def expression(self, value: Any, loc: str, field: str) -> None:
        from services.stepfunctions.data.jsonata_eval import JsonataSyntaxError, compile_template

        try:
            compile_template(value, location=field)
        except JsonataSyntaxError as error:
            self.error(error.message, loc)

    def state_language(self, st: dict[str, Any], loc: str, inherited: str) -> str:
        declared = st.get("QueryLanguage")
        present = "QueryLanguage" in st
        if not present:
            language = inherited
        else:
            # AWS resolves anything but the exact "JSONPath" to JSONata, and reports it too.
            language = "JSONPath" if declared == "JSONPath" else "JSONata"
        if inherited == "JSONata" and declared == "JSONPath":
            self.error(DOWNGRADED_QUERY_LANGUAGE, loc)
        else:
            wrong = JSONATA_ONLY if language == "JSONPath" else JSONPATH_ONLY
            for field in wrong:
                if field in st:
                    self.error(only_in(language, field), loc)
        self.query_language(declared, present, loc)
        return language

    def flow(self, st: dict[str, Any], loc: str) -> None:
        end = st.get("End")
        if "End" in st and not isinstance(end, bool):
            self.error(expected_type("BOOLEAN"), f"{loc}/End")
        if "Next" in st:
            if end is True:
                self.error(only_one("Next", "End"), loc)
            self.typed(st, "Next", str, "STRING", loc)
        elif end is not True:
            self.error(required("Next"), loc)

    def state_pass(self, st: dict[str, Any], loc: str, language: str) -> None:
        pass

    def state_succeed(self, st: dict[str, Any], loc: str, language: str) -> None:
        pass

    def state_task(self, st: dict[str, Any], loc: str, language: str) -> None:
        resource = st.get("Resource")
        if "Resource" in st:
            if not isinstance(resource, str):
                self.error(expected_type("STRING"), f"{loc}/Resource")
            elif not _ARN.match(resource) or unrecognized_integration(resource):
                self.error(unrecognized_resource(resource), f"{loc}/Resource")
            else:
                for message, where in sdk_task_problems(resource, st):  # aws-sdk: service, action, fields
                    self.error(message, f"{loc}{where}")
        timeout = self.integer(st, "TimeoutSeconds", loc, minimum=1, expression=language == "JSONata")
        heartbeat = self.integer(st, "HeartbeatSeconds", loc, minimum=1, expression=language == "JSONata")
        for field in ("TimeoutSeconds", "HeartbeatSeconds"):
            if field in st and f"{field}Path" in st:
                self.error(only_one(field, f"{field}Path"), loc)
            if language == "JSONPath":
                self.path(st, f"{field}Path", loc, reference=True, nullable=False)
        if isinstance(timeout, int) and isinstance(heartbeat, int) and heartbeat >= timeout:
            self.error("HeartbeatSeconds must be smaller than TimeoutSeconds", f"{loc}/HeartbeatSeconds")
        if "Credentials" in st:
            credentials = st["Credentials"]
            if not isinstance(credentials, dict):
                self.error(expected_type("OBJECT"), f"{loc}/Credentials")
            elif "RoleArn" not in credentials and "RoleArn.$" not in credentials:
                self.error(required("RoleArn"), f"{loc}/Credentials")

    def state_wait(self, st: dict[str, Any], loc: str, language: str) -> None:
        present = [f for f in WAIT_FIELDS if f in st]
        if len(present) > 1:
            self.error(only_one(*WAIT_FIELDS), loc)
        elif not present and language == "JSONPath":
            self.error(required(*WAIT_FIELDS), loc)
        if isinstance(st.get("Seconds"), str) and language == "JSONata":
            return
        self.integer(st, "Seconds", loc, minimum=0)
        if "Timestamp" in st:
            stamp = st["Timestamp"]
            if not isinstance(stamp, str):
                self.error(expected_type("STRING"), f"{loc}/Timestamp")
            elif not (language == "JSONata" and stamp.startswith("{%")) and not _RFC3339.match(stamp):
                self.error(INVALID_TIMESTAMP, f"{loc}/Timestamp")
        if language == "JSONPath":
            self.path(st, "SecondsPath", loc, reference=True, nullable=False)
            self.path(st, "TimestampPath", loc, reference=True, nullable=False)

    def state_fail(self, st: dict[str, Any], loc: str, language: str) -> None:
        for field in ("Error", "Cause"):
            if field in st and f"{field}Path" in st:
                self.error(only_one(field, f"{field}Path"), loc)
            self.typed(st, field, str, "STRING", loc)
            if language == "JSONPath" and f"{field}Path" in st:
                value = st[f"{field}Path"]
                if not isinstance(value, str):
                    self.error(expected_type("STRING"), f"{loc}/{field}Path")
                elif not (is_intrinsic(value) and _intrinsic_ok(value)) and validate_path(value, reference=True):
                    self.error(INVALID_REFERENCE_PATH, f"{loc}/{field}Path")

    def state_parallel(self, st: dict[str, Any], loc: str, language: str) -> None:
        branches = st.get("Branches")
        if "Branches" not in st:
            return
        if not isinstance(branches, list):
            self.error(expected_type("ARRAY"), f"{loc}/Branches")
            return
        if not branches:
            self.error(NOT_EMPTY, f"{loc}/Branches")
        for i, branch in enumerate(branches):
            self.definition(branch, f"{loc}/Branches[{i}]", language=self.top_language)

    def state_map(self, st: dict[str, Any], loc: str, language: str) -> None:
        if "ItemProcessor" in st and "Iterator" in st:
            self.error(only_one("ItemProcessor", "Iterator"), loc)
        for field in ("ItemProcessor", "Iterator"):
            if field in st:
                self.definition(st[field], f"{loc}/{field}", processor=True, language=self.top_language)
        if "ItemSelector" in st and "Parameters" in st:
            self.error(only_one("ItemSelector", "Parameters"), loc)
        if "ItemSelector" in st:
            self.template(st["ItemSelector"], f"{loc}/ItemSelector")
        if language == "JSONPath":
            self.path(st, "ItemsPath", loc, reference=True)
        if "MaxConcurrency" in st and "MaxConcurrencyPath" in st:
            self.error(only_one("MaxConcurrency", "MaxConcurrencyPath"), f"{loc}/MaxConcurrency")
        elif not (language == "JSONata" and isinstance(st.get("MaxConcurrency"), str)):
            self.integer(st, "MaxConcurrency", loc, minimum=0)
        self.number(st, "ToleratedFailurePercentage", loc, minimum=0, maximum=100, expression=language == "JSONata")
        self.integer(st, "ToleratedFailureCount", loc, minimum=0, expression=language == "JSONata")
        for field in ("MaxConcurrency", "ToleratedFailurePercentage", "ToleratedFailureCount"):
            if field != "MaxConcurrency" and field in st and f"{field}Path" in st:
                self.error(only_one(field, f"{field}Path"), loc)
            if language == "JSONPath":
                self.path(st, f"{field}Path", loc, reference=True, nullable=False)
        for field in ("ItemReader", "ResultWriter", "ItemBatcher"):
            self.typed(st, field, dict, "OBJECT", loc)
        self.typed(st, "Label", str, "STRING", loc)
        check_map(self, st, loc, language)  # ProcessorConfig, ItemBatcher, Label, no S3 (map_rules.py)

    # ------------------------------------------------------------ Choice rules

    def state_choice(self, st: dict[str, Any], loc: str, language: str) -> None:
        check_choice(self, st, loc, language)  # Default, Choices, their rules and operands (choice_rules.py)

    # ------------------------------------------------------------ Retry and Catch

    def handlers(self, entries: Any, loc: str, *, catch: bool, language: str) -> None:
        if not isinstance(entries, list):
            self.error(expected_type("ARRAY"), loc)
            return
        allowed = CATCHER_FIELDS if catch else RETRIER_FIELDS
        for i, entry in enumerate(entries):
            here = f"{loc}[{i}]"
            if not isinstance(entry, dict):
                self.error(expected_type("OBJECT"), here)
                continue
            for key in entry:
                if key not in allowed:
                    self.error(not_supported(key), here)
            missing = [f for f in (("ErrorEquals", "Next") if catch else ("ErrorEquals",)) if f not in entry]
            if missing:
                self.error(required(*missing), here)
            errors = entry.get("ErrorEquals")
            if "ErrorEquals" in entry:
                if not isinstance(errors, list) or not all(isinstance(e, str) for e in errors):
                    self.error(expected_type("ARRAY"), f"{here}/ErrorEquals")
                elif not errors:
                    self.error(NOT_EMPTY, f"{here}/ErrorEquals")
                elif "States.ALL" in errors and (len(errors) > 1 or i < len(entries) - 1):
                    self.error(STATES_ALL_LAST, f"{here}/ErrorEquals")
            if catch:
                self.typed(entry, "Next", str, "STRING", here)
                if language == "JSONPath":
                    self.path(entry, "ResultPath", here, reference=True)
                    if "Output" in entry:
                        self.error(only_in(language, "Output"), here)
                elif "ResultPath" in entry:
                    self.error(only_in(language, "ResultPath"), here)
                continue
            self.integer(entry, "IntervalSeconds", here, minimum=1, maximum=MAX_INT)
            self.integer(entry, "MaxAttempts", here, minimum=0, maximum=MAX_INT)
            self.integer(entry, "MaxDelaySeconds", here, minimum=1, maximum=31622400)
            self.number(entry, "BackoffRate", here, minimum=1.0)
            if "JitterStrategy" in entry and entry["JitterStrategy"] not in ("FULL", "NONE"):
                self.error(one_of("FULL", "NONE"), f"{here}/JitterStrategy")

    # ------------------------------------------------------------ values

    def typed(self, obj: dict[str, Any], field: str, kind: type, name: str, loc: str) -> None:
        if field in obj and not isinstance(obj[field], kind):
            self.error(expected_type(name), f"{loc}/{field}")

    def integer(self, obj: dict[str, Any], field: str, loc: str, *, minimum: int, maximum: int = MAX_INT,
                expression: bool = False) -> Any:
        """`expression`: a JSONata state, where a string is an expression (checked by expressions())."""
        if field not in obj or (expression and isinstance(obj[field], str)):
            return None
        value = obj[field]
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(expected_type("INTEGER"), f"{loc}/{field}")
            return None
        if value < minimum:
            self.error(f"Minimum value is {minimum}", f"{loc}/{field}")
        elif value > maximum:
            self.error(f"Maximum value is {maximum}", f"{loc}/{field}")
        return value

    def number(self, obj: dict[str, Any], field: str, loc: str, *, minimum: float, maximum: float | None = None,
               expression: bool = False) -> None:
        if field not in obj or (expression and isinstance(obj[field], str)):
            return
        value = obj[field]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.error(expected_type("NUMBER"), f"{loc}/{field}")
        elif value < minimum:
            self.error(f"Minimum value is {minimum}", f"{loc}/{field}")
        elif maximum is not None and value > maximum:
            self.error(f"Maximum value is {maximum}", f"{loc}/{field}")

    def path(self, obj: dict[str, Any], field: str, loc: str, *, reference: bool = False, nullable: bool = True) -> None:
        if field not in obj:
            return
        value = obj[field]
        if value is None and nullable:
            return
        if not isinstance(value, str):
            self.error(expected_type("STRING"), f"{loc}/{field}")
        elif validate_path(value, reference=reference) is not None:
            self.error(INVALID_REFERENCE_PATH if reference else INVALID_PATH, f"{loc}/{field}")

    def template(self, value: Any, loc: str) -> None:
        """A payload template: every `key.$` holds a path or an intrinsic function call."""
        if isinstance(value, list):
            for item in value:
                if isinstance(item, (dict, list)):
                    self.template(item, loc)
            return
        if not isinstance(value, dict):
            return
        for key, item in value.items():
            if key.endswith(".$"):
                if not isinstance(item, str) or not _template_value_ok(item):
                    self.error(invalid_template_value(key), loc)
            elif isinstance(item, (dict, list)):
                self.template(item, f"{loc}/{key}")

    # ------------------------------------------------------------ transitions

    @property
    def top_language(self) -> str:
        """States inside branches and processors inherit the machine's language, not the Map's."""
        return self._top_language

    def transitions(self, prefix: str, d: dict[str, Any], top: bool) -> list[Problem]:
        states: dict[str, Any] = d["States"]
        problems: list[Problem] = []
        start = d.get("StartAt")
        if isinstance(start, str) and start not in states:
            problems.append(Problem(TARGET, missing_target(start), f"{prefix}/StartAt"))
        edges: dict[str, list[str]] = {}
        for name, st in states.items():
            edges[name] = []
            for target, location in _targets(st, f"{prefix}/States/{name}"):
                edges[name].append(target)
                if target not in states:
                    problems.append(Problem(TARGET, missing_target(target), location))
        if top and not any(_is_terminal(st) for st in states.values()):
            problems.append(Problem(END_STATE, NO_TERMINAL_STATE))
            return problems  # AWS does not walk for unreachable states then
        if not isinstance(start, str):
            return problems  # already a schema problem; nothing to walk from
        reached: set[str] = set()
        todo = [start] if isinstance(start, str) and start in states else []
        while todo:
            name = todo.pop()
            if name in reached:
                continue
            reached.add(name)
            todo += [t for t in edges[name] if t in states]
        problems += [Problem(TARGET, unreachable(n), f"{prefix}/States/{n}") for n in states if n not in reached]
        return problems


def _targets(st: Any, loc: str) -> Iterator[tuple[str, str]]:
    if not isinstance(st, dict):
        return
    if isinstance(st.get("Next"), str):
        yield st["Next"], f"{loc}/Next"
    choices = st.get("Choices")
    if st.get("Type") == "Choice" and isinstance(choices, list):
        for i, rule in enumerate(choices):
            if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
                yield rule["Next"], f"{loc}/Choices[{i}]/Next"
    if st.get("Type") == "Choice" and isinstance(st.get("Default"), str):
        yield st["Default"], f"{loc}/Default"
    catchers = st.get("Catch")
    if isinstance(catchers, list):
        for i, catcher in enumerate(catchers):
            if isinstance(catcher, dict) and isinstance(catcher.get("Next"), str):
                yield catcher["Next"], f"{loc}/Catch[{i}]/Next"


def _is_terminal(st: Any) -> bool:
    return isinstance(st, dict) and (st.get("Type") in ("Succeed", "Fail") or st.get("End") is True)


def _intrinsic_ok(text: str) -> bool:
    try:
        parse_intrinsic(text)
    except IntrinsicSyntaxError:
        return False
    return True


def _template_value_ok(text: str) -> bool:
    if is_intrinsic(text):
        return _intrinsic_ok(text)
    return validate_path(text) is None
