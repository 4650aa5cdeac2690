"""Lambda's control plane through boto3 against the real server: functions, versions, aliases,
layers, concurrency, asynchronous-invocation configuration, permissions and tags."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import urllib.request
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
ARN = "arn:aws:lambda:us-east-1:000000000000:function:"


def make_zip(files: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in (files or {"handler.py": "def handler(event, context):\n    return event\n"}).items():
            archive.writestr(name, text)
    return buffer.getvalue()


def error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = caught.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def lam(server: Server) -> Any:
    status, body = server.admin("POST", "/_stepstack/reset")
    assert status == 200, body
    return server.client("lambda")


def create(lam: Any, name: str = "fn", code: bytes | None = None, **extra: Any) -> dict[str, Any]:
    params = {"FunctionName": name, "Runtime": "python3.12", "Role": ROLE, "Handler": "handler.handler",
              "Code": {"ZipFile": code or make_zip()}, **extra}
    return lam.create_function(**params)


# -- functions ------------------------------------------------------------------------


def test_create_function_answers_pending_then_reads_active_with_aws_defaults(lam: Any) -> None:
    code = make_zip()
    created = create(lam, code=code)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (created["State"], created["StateReasonCode"]) == ("Pending", "Creating")
    assert created["FunctionArn"] == ARN + "fn"
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(code).digest()).decode()
    assert created["CodeSize"] == len(code)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", created["LastModified"])
    assert (created["Timeout"], created["MemorySize"], created["Version"], created["PackageType"]) == (3, 128, "$LATEST", "Zip")
    assert created["Architectures"] == ["x86_64"] and created["EphemeralStorage"] == {"Size": 512}
    assert created["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/fn"}
    config = lam.get_function_configuration(FunctionName="fn")
    assert (config["State"], config["LastUpdateStatus"]) == ("Active", "Successful")
    assert config["RevisionId"] != created["RevisionId"]
    lam.get_waiter("function_active_v2").wait(FunctionName="fn", WaiterConfig={"Delay": 0, "MaxAttempts": 1})


def test_get_function_serves_the_zip_at_code_location(lam: Any) -> None:
    code = make_zip({"handler.py": "x = 1\n"})
    create(lam, code=code, Tags={"team": "a"})
    got = lam.get_function(FunctionName=ARN + "fn")
    assert got["Code"]["RepositoryType"] == "S3"
    with urllib.request.urlopen(got["Code"]["Location"]) as answer:
        assert answer.read() == code
    assert got["Tags"] == {"team": "a"}
    assert "Concurrency" not in got


def test_function_references_name_partial_arn_and_arn_with_qualifier(lam: Any) -> None:
    create(lam)
    for ref in ("fn", "000000000000:function:fn", ARN + "fn", ARN + "fn:$LATEST", "fn:$LATEST"):
        assert lam.get_function_configuration(FunctionName=ref)["FunctionName"] == "fn"
    with pytest.raises(ClientError) as caught:
        lam.get_function(FunctionName="missing")
    assert error(caught) == ("ResourceNotFoundException", f"Function not found: {ARN}missing", 404)
    with pytest.raises(ClientError) as caught:
        lam.get_function(FunctionName="fn", Qualifier="1221")
    assert error(caught) == ("ResourceNotFoundException", f"Function not found: {ARN}fn:1221", 404)
    with pytest.raises(ClientError) as caught:
        lam.get_function(FunctionName="arn:aws:lambda:ap-southeast-1:000000000000:function:fn")
    assert error(caught)[1] == "Functions from 'ap-southeast-1' are not reachable in this region ('us-east-1')"
    with pytest.raises(ClientError) as caught:
        lam.delete_function(FunctionName=ARN + "fn:1", Qualifier="2")
    assert error(caught)[1] == "The derived qualifier from the function name does not match the specified qualifier."


def test_create_function_refuses_bad_input_as_aws_does(lam: Any) -> None:
    create(lam)
    cases = [
        ({"Code": {"ZipFile": make_zip()}}, ("ResourceConflictException", "Function already exist: fn")),
        ({"FunctionName": "z", "Code": {"ZipFile": b"not a zip"}},
         ("InvalidParameterValueException", "Could not unzip uploaded file. Please check your file, then try to upload again.")),
        ({"FunctionName": "z", "Runtime": "python3.7"}, ("InvalidParameterValueException",
         "The runtime parameter of python3.7 is no longer supported for creating or updating AWS Lambda functions. "
         "We recommend you use a supported runtime while creating or updating functions.")),
        ({"FunctionName": "z", "Code": {"S3Bucket": "bucket", "S3Key": "k"}}, ("InvalidParameterValueException", None)),
        ({"FunctionName": "z", "Code": {"ImageUri": "x"}}, ("InvalidParameterValueException", None)),
        ({"FunctionName": "z", "Timeout": 901}, ("ValidationException", None)),
        ({"FunctionName": "z", "Role": "not-a-role"}, ("ValidationException", None)),
        ({"FunctionName": "z", "Environment": {"Variables": {"AWS_REGION": "x"}}}, ("InvalidParameterValueException",
         "Lambda was unable to configure your environment variables because the environment variables you have provided "
         "contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_REGION")),
        ({"FunctionName": "z", "Layers": [f"arn:aws:lambda:us-east-1:000000000000:layer:nope:1"]},
         ("InvalidParameterValueException", "Layer version arn:aws:lambda:us-east-1:000000000000:layer:nope:1 does not exist.")),
    ]
    for extra, (code, message) in cases:
        with pytest.raises(ClientError) as caught:
            create(lam, **{"FunctionName": "fn", **extra})
        got = error(caught)
        assert got[0] == code, (extra, got)
        if message:
            assert got[1] == message, (extra, got)
        if "S3Bucket" in str(extra) or "ImageUri" in str(extra):
            assert "stepstack does not support" in got[1]
    with pytest.raises(ClientError) as caught:
        create(lam, FunctionName="big", Environment={"Variables": {"LARGE": "x" * 4100}})
    assert error(caught)[1].startswith("Lambda was unable to configure your environment variables because the environment "
                                       'variables you have provided exceeded the 4KB limit. String measured: {"LARGE":"xxx')
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["fn"]


def test_java_functions_are_accepted_as_aws_accepts_them(lam: Any) -> None:
    assert create(lam, "j", Runtime="java21", Handler="example.Handler::handleRequest")["Runtime"] == "java21"


def test_update_function_configuration_changes_latest_and_checks_revision(lam: Any, server: Server) -> None:
    create(lam)
    revision = lam.get_function(FunctionName="fn")["Configuration"]["RevisionId"]
    updated = lam.update_function_configuration(
        FunctionName="fn", RevisionId=revision, Timeout=30, MemorySize=512, Description="d", Handler="app.main",
        Environment={"Variables": {"AB": "1"}}, Runtime="python3.13", TracingConfig={"Mode": "Active"},
        EphemeralStorage={"Size": 1024}, DeadLetterConfig={"TargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq"},
        LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG"},
    )
    assert updated["LastUpdateStatus"] == "InProgress"
    config = lam.get_function_configuration(FunctionName="fn")
    assert config["LastUpdateStatus"] == "Successful"
    assert (config["Timeout"], config["MemorySize"], config["Description"], config["Handler"], config["Runtime"]) == (30, 512, "d", "app.main", "python3.13")
    assert config["Environment"] == {"Variables": {"AB": "1"}} and config["TracingConfig"] == {"Mode": "Active"}
    assert config["DeadLetterConfig"]["TargetArn"].endswith(":dlq") and config["EphemeralStorage"] == {"Size": 1024}
    assert config["LoggingConfig"]["ApplicationLogLevel"] == "DEBUG"
    with pytest.raises(ClientError) as caught:
        lam.update_function_configuration(FunctionName="fn", RevisionId=revision, Timeout=5)
    assert error(caught) == ("PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. "
                             "Call the GetFunction/GetAlias API to retrieve the latest Revision Id", 412)
    unchecked = server.client("lambda", parameter_validation=False)
    with pytest.raises(ClientError) as caught:
        unchecked.update_function_configuration(FunctionName="fn", MemorySize=100)
    assert error(caught)[0] == "ValidationException"


def test_update_function_code_changes_sha_and_dry_run_changes_nothing(lam: Any) -> None:
    first = create(lam)
    other = make_zip({"handler.py": "def handler(e, c):\n    return 2\n"})
    dry = lam.update_function_code(FunctionName="fn", ZipFile=other, DryRun=True)
    assert dry["CodeSha256"] != first["CodeSha256"]
    assert lam.get_function_configuration(FunctionName="fn")["CodeSha256"] == first["CodeSha256"]
    updated = lam.update_function_code(FunctionName="fn", ZipFile=other, Publish=True)
    assert updated["Version"] == "1" and updated["CodeSha256"] == base64.b64encode(hashlib.sha256(other).digest()).decode()
    with urllib.request.urlopen(lam.get_function(FunctionName="fn")["Code"]["Location"]) as answer:
        assert answer.read() == other
    with pytest.raises(ClientError) as caught:
        lam.update_function_code(FunctionName="fn", S3Bucket="bucket", S3Key="k")
    assert error(caught)[0] == "InvalidParameterValueException"


def test_list_functions_pages_and_lists_every_version(lam: Any) -> None:
    for name in ("a", "b", "c"):
        create(lam, name)
    lam.publish_version(FunctionName="a")
    first = lam.list_functions(MaxItems=2)
    assert [f["FunctionName"] for f in first["Functions"]] == ["a", "b"]
    rest = lam.list_functions(Marker=first["NextMarker"])
    assert [f["FunctionName"] for f in rest["Functions"]] == ["c"] and "NextMarker" not in rest
    every = lam.list_functions(FunctionVersion="ALL")["Functions"]
    assert [(f["FunctionName"], f["Version"]) for f in every] == [("a", "$LATEST"), ("a", "1"), ("b", "$LATEST"), ("c", "$LATEST")]


def test_delete_function_with_a_qualifier_deletes_only_that_version(lam: Any) -> None:
    create(lam)
    lam.publish_version(FunctionName="fn")
    with pytest.raises(ClientError) as caught:
        lam.delete_function(FunctionName="fn", Qualifier="$LATEST")
    assert error(caught)[1] == "$LATEST version cannot be deleted without deleting the function."
    assert lam.delete_function(FunctionName="fn", Qualifier="1")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="fn")["Versions"]] == ["$LATEST"]
    lam.update_function_configuration(FunctionName="fn", Description="changed")
    assert lam.publish_version(FunctionName="fn")["Version"] == "2"  # numbers are never reused
    lam.delete_function(FunctionName="fn")
    with pytest.raises(ClientError) as caught:
        lam.get_function(FunctionName="fn")
    assert error(caught)[0] == "ResourceNotFoundException"


# -- versions and aliases -------------------------------------------------------------


def test_publish_version_returns_the_same_version_while_latest_is_unchanged(lam: Any) -> None:
    created = create(lam)
    one = lam.publish_version(FunctionName="fn", Description="first")
    assert (one["Version"], one["FunctionArn"], one["Description"]) == ("1", ARN + "fn:1", "first")
    assert lam.publish_version(FunctionName="fn")["Version"] == "1"
    with pytest.raises(ClientError) as caught:
        lam.publish_version(FunctionName="fn", CodeSha256="abc")
    assert error(caught)[1] == (f"CodeSHA256 (abc) is different from current CodeSHA256 in $LATEST ({created['CodeSha256']}). "
                                "Please try again with the CodeSHA256 in $LATEST.")
    with pytest.raises(ClientError) as caught:
        lam.publish_version(FunctionName="fn", RevisionId="wrong")
    assert error(caught)[0] == "PreconditionFailedException"
    lam.update_function_code(FunctionName="fn", ZipFile=make_zip({"handler.py": "y = 2\n"}))
    assert lam.publish_version(FunctionName="fn")["Version"] == "2"
    versions = lam.list_versions_by_function(FunctionName="fn")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    assert versions[1]["CodeSha256"] == created["CodeSha256"] != versions[2]["CodeSha256"]


def test_aliases_with_weighted_routing_and_aws_validation(lam: Any) -> None:
    create(lam)
    lam.publish_version(FunctionName="fn")
    lam.update_function_configuration(FunctionName="fn", Description="v2")
    lam.publish_version(FunctionName="fn")
    alias = lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1",
                             RoutingConfig={"AdditionalVersionWeights": {"2": 0.25}})
    assert alias["AliasArn"] == ARN + "fn:live" and alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.25}}
    assert lam.get_alias(FunctionName="fn", Name="live")["RevisionId"] == alias["RevisionId"]
    assert lam.get_function_configuration(FunctionName="fn", Qualifier="live")["Version"] == "1"
    bad = [
        ({"Name": "live", "FunctionVersion": "1"}, "ResourceConflictException", f"Alias already exists: {ARN}fn:live"),
        ({"Name": "x", "FunctionVersion": "10"}, "ResourceNotFoundException", f"Function not found: {ARN}fn:10"),
        ({"Name": "x", "FunctionVersion": "1", "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.5}}},
         "InvalidParameterValueException", "Invalid function version 1. Function version 1 is already included in routing configuration."),
        ({"Name": "x", "FunctionVersion": "$LATEST", "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.5}}},
         "InvalidParameterValueException", "$LATEST is not supported for an alias pointing to more than 1 version"),
        ({"Name": "x", "FunctionVersion": "1", "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.5, "3": 0.1}}},
         "InvalidParameterValueException", "Number of items in AdditionalVersionWeights cannot be greater than 1"),
    ]
    for params, code, message in bad:
        with pytest.raises(ClientError) as caught:
            lam.create_alias(FunctionName="fn", **params)
        assert error(caught)[:2] == (code, message), params
    with pytest.raises(ClientError) as caught:
        lam.create_alias(FunctionName="fn", Name="x", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 1.5}})
    assert error(caught)[0] in ("ValidationException", "InvalidParameterValueException")
    updated = lam.update_alias(FunctionName="fn", Name="live", FunctionVersion="2", RoutingConfig={"AdditionalVersionWeights": {}},
                               RevisionId=alias["RevisionId"])
    assert updated["FunctionVersion"] == "2" and "RoutingConfig" not in updated and updated["RevisionId"] != alias["RevisionId"]
    with pytest.raises(ClientError) as caught:
        lam.update_alias(FunctionName="fn", Name="live", RevisionId=alias["RevisionId"])
    assert error(caught)[0] == "PreconditionFailedException"
    with pytest.raises(ClientError) as caught:
        lam.update_alias(FunctionName="fn", Name="gone", FunctionVersion="1")
    assert error(caught)[1] == f"Alias not found: {ARN}fn:gone"
    with pytest.raises(ClientError) as caught:
        lam.delete_function(FunctionName="fn", Qualifier="2")
    assert error(caught)[0] == "ResourceConflictException"
    lam.create_alias(FunctionName="fn", Name="old", FunctionVersion="1")
    assert [a["Name"] for a in lam.list_aliases(FunctionName="fn")["Aliases"]] == ["live", "old"]
    assert [a["Name"] for a in lam.list_aliases(FunctionName="fn", FunctionVersion="1")["Aliases"]] == ["old"]
    lam.delete_alias(FunctionName="fn", Name="old")
    with pytest.raises(ClientError) as caught:
        lam.get_alias(FunctionName="fn", Name="old")
    assert error(caught) == ("ResourceNotFoundException", f"Cannot find alias arn: {ARN}fn:old", 404)


# -- layers ---------------------------------------------------------------------------


def test_layers_publish_get_list_and_delete(lam: Any) -> None:
    content = make_zip({"python/lib.py": "X = 1\n"})
    one = lam.publish_layer_version(LayerName="lib", Content={"ZipFile": content}, CompatibleRuntimes=["python3.12"],
                                    CompatibleArchitectures=["x86_64"], Description="d", LicenseInfo="MIT")
    assert one["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (one["Version"], one["LayerVersionArn"]) == (1, "arn:aws:lambda:us-east-1:000000000000:layer:lib:1")
    assert one["Content"]["CodeSize"] == len(content)
    with urllib.request.urlopen(one["Content"]["Location"]) as answer:
        assert answer.read() == content
    two = lam.publish_layer_version(LayerName="lib", Content={"ZipFile": content}, CompatibleRuntimes=["nodejs22.x"])
    assert two["Version"] == 2
    assert lam.get_layer_version(LayerName="lib", VersionNumber=1)["Description"] == "d"
    assert lam.get_layer_version_by_arn(Arn=two["LayerVersionArn"])["Version"] == 2
    assert [v["Version"] for v in lam.list_layer_versions(LayerName="lib")["LayerVersions"]] == [2, 1]
    assert [v["Version"] for v in lam.list_layer_versions(LayerName="lib", CompatibleRuntime="python3.12")["LayerVersions"]] == [1]
    layers = lam.list_layers(CompatibleRuntime="python3.12")["Layers"]
    assert [(l["LayerName"], l["LatestMatchingVersion"]["Version"]) for l in layers] == [("lib", 1)]
    created = create(lam, Layers=[one["LayerVersionArn"]])
    assert created["Layers"] == [{"Arn": one["LayerVersionArn"], "CodeSize": len(content)}]
    with pytest.raises(ClientError) as caught:
        lam.update_function_configuration(FunctionName="fn", Layers=[one["LayerVersionArn"], two["LayerVersionArn"]])
    assert error(caught)[1].startswith("Two different versions of the same layer are not allowed")
    with pytest.raises(ClientError) as caught:
        lam.update_function_configuration(FunctionName="fn", Layers=[one["LayerVersionArn"]] * 6)
    assert error(caught)[1] == "Cannot reference more than 5 layers."
    lam.delete_layer_version(LayerName="lib", VersionNumber=1)
    with pytest.raises(ClientError) as caught:
        lam.get_layer_version(LayerName="lib", VersionNumber=1)
    assert error(caught) == ("ResourceNotFoundException", f"Layer version {one['LayerVersionArn']} does not exist.", 404)
    assert lam.publish_layer_version(LayerName="lib", Content={"ZipFile": content})["Version"] == 3
    with pytest.raises(ClientError) as caught:
        lam.get_layer_version(LayerName="lib", VersionNumber=0)
    assert error(caught)[1] == "Layer Version Cannot be less than 1"


def test_layer_version_permissions_are_stored_and_shown(lam: Any) -> None:
    arn = lam.publish_layer_version(LayerName="lib", Content={"ZipFile": make_zip()})["LayerVersionArn"]
    with pytest.raises(ClientError) as caught:
        lam.get_layer_version_policy(LayerName="lib", VersionNumber=1)
    assert error(caught)[1] == "No policy is associated with the given resource."
    added = lam.add_layer_version_permission(LayerName="lib", VersionNumber=1, StatementId="s1", Action="lambda:GetLayerVersion", Principal="*")
    assert json.loads(added["Statement"]) == {"Sid": "s1", "Effect": "Allow", "Principal": "*", "Action": "lambda:GetLayerVersion", "Resource": arn}
    with pytest.raises(ClientError) as caught:
        lam.add_layer_version_permission(LayerName="lib", VersionNumber=1, StatementId="s1", Action="lambda:GetLayerVersion", Principal="*")
    assert error(caught)[0] == "ResourceConflictException"
    with pytest.raises(ClientError) as caught:
        lam.add_layer_version_permission(LayerName="lib", VersionNumber=1, StatementId="s2", Action="lambda:GetLayerVersion",
                                         Principal="*", RevisionId="wrong")
    assert error(caught)[1].endswith("Call the GetLayerPolicy API to retrieve the latest Revision Id")
    policy = lam.get_layer_version_policy(LayerName="lib", VersionNumber=1)
    assert json.loads(policy["Policy"])["Id"] == "default" and policy["RevisionId"] == added["RevisionId"]
    lam.remove_layer_version_permission(LayerName="lib", VersionNumber=1, StatementId="s1")
    with pytest.raises(ClientError) as caught:
        lam.remove_layer_version_permission(LayerName="lib", VersionNumber=1, StatementId="s1")
    assert error(caught)[1] == "Statement s1 is not found in resource policy."


# -- concurrency, invoke configs, permissions, tags --------------------------------------------


def test_reserved_concurrency_and_account_settings(lam: Any) -> None:
    create(lam)
    assert lam.get_function_concurrency(FunctionName="fn").get("ReservedConcurrentExecutions") is None
    assert lam.put_function_concurrency(FunctionName="fn", ReservedConcurrentExecutions=200)["ReservedConcurrentExecutions"] == 200
    assert lam.get_function(FunctionName="fn")["Concurrency"] == {"ReservedConcurrentExecutions": 200}
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == 800
    assert settings["AccountUsage"]["FunctionCount"] == 1
    with pytest.raises(ClientError) as caught:
        lam.put_function_concurrency(FunctionName="fn", ReservedConcurrentExecutions=901)
    assert error(caught)[1] == ("Specified ReservedConcurrentExecutions for function decreases account's "
                                "UnreservedConcurrentExecution below its minimum value of [100].")
    with pytest.raises(ClientError) as caught:
        lam.put_function_concurrency(FunctionName="fn:1", ReservedConcurrentExecutions=1)
    assert error(caught)[1].startswith("This operation is permitted on Lambda functions only.")
    lam.delete_function_concurrency(FunctionName="fn")
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 1000


def test_event_invoke_configs_put_update_get_list_delete(lam: Any) -> None:
    create(lam)
    create(lam, "target")
    queue = "arn:aws:sqs:us-east-1:000000000000:q"
    put = lam.put_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=1,
                                               DestinationConfig={"OnFailure": {"Destination": queue}})
    assert put["FunctionArn"] == ARN + "fn:$LATEST" and put["MaximumRetryAttempts"] == 1
    updated = lam.update_function_event_invoke_config(FunctionName="fn", MaximumEventAgeInSeconds=120,
                                                      DestinationConfig={"OnSuccess": {"Destination": ARN + "target"}})
    assert (updated["MaximumRetryAttempts"], updated["MaximumEventAgeInSeconds"]) == (1, 120)
    assert updated["DestinationConfig"]["OnSuccess"]["Destination"] == ARN + "target"
    assert lam.get_function_event_invoke_config(FunctionName="fn")["MaximumEventAgeInSeconds"] == 120
    assert len(lam.list_function_event_invoke_configs(FunctionName="fn")["FunctionEventInvokeConfigs"]) == 1
    for params, message in [
        ({}, "You must specify at least one of error handling or destination setting."),
        ({"DestinationConfig": {"OnSuccess": {"Destination": ARN + "fn"}}}, "You can't specify the function as a destination for itself."),
        ({"DestinationConfig": {"OnSuccess": {"Destination": ARN + "nope"}}}, f"The destination ARN {ARN}nope is invalid."),
    ]:
        with pytest.raises(ClientError) as caught:
            lam.put_function_event_invoke_config(FunctionName="fn", **params)
        assert error(caught)[1] == message
    with pytest.raises(ClientError) as caught:
        lam.put_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=3)
    assert error(caught)[0] == "ValidationException"
    lam.delete_function_event_invoke_config(FunctionName="fn")
    with pytest.raises(ClientError) as caught:
        lam.get_function_event_invoke_config(FunctionName="fn")
    assert error(caught)[1] == f"The function {ARN}fn:$LATEST doesn't have an EventInvokeConfig"


def test_permissions_render_the_policy_as_aws_does(lam: Any) -> None:
    create(lam)
    with pytest.raises(ClientError) as caught:
        lam.get_policy(FunctionName="fn")
    assert error(caught)[1] == "No policy is associated with the given resource."
    added = lam.add_permission(FunctionName="fn", StatementId="s3", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
                               SourceArn="arn:aws:s3:::bucket", SourceAccount="000000000000")
    statement = json.loads(added["Statement"])
    assert statement == {"Sid": "s3", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "lambda:InvokeFunction",
                         "Resource": ARN + "fn", "Condition": {"StringEquals": {"AWS:SourceAccount": "000000000000"},
                                                               "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::bucket"}}}
    lam.add_permission(FunctionName="fn", StatementId="acct", Action="lambda:GetFunction", Principal="111111111111")
    policy = lam.get_policy(FunctionName="fn")
    document = json.loads(policy["Policy"])
    assert (document["Version"], document["Id"]) == ("2012-10-17", "default")
    assert document["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    with pytest.raises(ClientError) as caught:
        lam.add_permission(FunctionName="fn", StatementId="s3", Action="lambda:InvokeFunction", Principal="*")
    assert error(caught) == ("ResourceConflictException", "The statement id (s3) provided already exists. Please provide a new "
                             "statement id, or remove the existing statement.", 409)
    with pytest.raises(ClientError) as caught:
        lam.add_permission(FunctionName="fn", StatementId="x", Action="lambda:InvokeFunction", Principal="*", Qualifier="$LATEST")
    assert error(caught)[1] == "We currently do not support adding policies for $LATEST."
    with pytest.raises(ClientError) as caught:
        lam.add_permission(FunctionName="fn", StatementId="x", Action="lambda:InvokeFunction", Principal="*", RevisionId="wrong")
    assert error(caught)[0] == "PreconditionFailedException"
    lam.publish_version(FunctionName="fn")
    with pytest.raises(ClientError) as caught:
        lam.get_policy(FunctionName="fn", Qualifier="1")
    assert error(caught)[1] == "The resource you requested does not exist."
    lam.remove_permission(FunctionName="fn", StatementId="s3", RevisionId=policy["RevisionId"])
    with pytest.raises(ClientError) as caught:
        lam.remove_permission(FunctionName="fn", StatementId="s3")
    assert error(caught)[1] == "Statement s3 is not found in resource policy."


def test_tags_on_functions_only(lam: Any) -> None:
    create(lam, Tags={"a": "1"})
    lam.tag_resource(Resource=ARN + "fn", Tags={"b": "2"})
    assert lam.list_tags(Resource=ARN + "fn")["Tags"] == {"a": "1", "b": "2"}
    lam.untag_resource(Resource=ARN + "fn", TagKeys=["a"])
    assert lam.list_tags(Resource=ARN + "fn")["Tags"] == {"b": "2"}
    with pytest.raises(ClientError) as caught:
        lam.tag_resource(Resource=ARN + "fn:1", Tags={"c": "3"})
    assert error(caught)[1] == "Tags on function aliases and versions are not supported. Please specify a function ARN."
    with pytest.raises(ClientError) as caught:
        lam.list_tags(Resource=ARN + "nope")
    assert error(caught) == ("ResourceNotFoundException", f"Function not found: {ARN}nope", 404)
    with pytest.raises(ClientError) as caught:
        lam.tag_resource(Resource=ARN + "fn", Tags={f"k{i}": "v" for i in range(50)})
    assert error(caught)[1] == "Number of tags exceeds resource tag limit."


# -- snapshots ------------------------------------------------------------------------


def test_snapshot_round_trip_keeps_functions_versions_aliases_layers_and_code(app: Any) -> None:
    from tests.test_core_snapshots import assert_plain, round_trip

    code, layer_zip = make_zip(), make_zip({"python/lib.py": "X = 1\n"})
    layer = app.call("lambda", "PublishLayerVersion", {"LayerName": "lib", "Content": {"ZipFile": layer_zip}})
    app.call("lambda", "CreateFunction", {"FunctionName": "fn", "Runtime": "python3.12", "Role": ROLE, "Handler": "handler.handler",
                                          "Code": {"ZipFile": code}, "Layers": [layer["LayerVersionArn"]], "Tags": {"k": "v"}})
    app.call("lambda", "PublishVersion", {"FunctionName": "fn"})
    app.call("lambda", "CreateAlias", {"FunctionName": "fn", "Name": "live", "FunctionVersion": "1"})
    app.call("lambda", "AddPermission", {"FunctionName": "fn", "StatementId": "s", "Action": "lambda:InvokeFunction", "Principal": "*"})
    app.call("lambda", "PutFunctionConcurrency", {"FunctionName": "fn", "ReservedConcurrentExecutions": 5})
    app.call("lambda", "PutFunctionEventInvokeConfig", {"FunctionName": "fn", "MaximumRetryAttempts": 0})
    for store in app.dispatcher.services["lambda"].stores._stores.values():
        assert_plain(store.functions)  # (layers are keyed by version number: dumped as a list)
        assert_plain(list(store.layers["lib"].values()))
    restored, before = round_trip(app)
    try:
        assert json.loads(json.dumps(restored.dispatcher.snapshot()))["services"]["lambda"] == before["services"]["lambda"]
        got = restored.call("lambda", "GetFunction", {"FunctionName": "fn", "Qualifier": "live"})
        assert got["Configuration"]["Version"] == "1" and got["Tags"] == {"k": "v"}
        assert got["Concurrency"] == {"ReservedConcurrentExecutions": 5}
        store = restored.dispatcher.services["lambda"].stores.get("000000000000", "us-east-1")
        assert store.code[hashlib.sha256(code).hexdigest()] == code
        assert store.code[hashlib.sha256(layer_zip).hexdigest()] == layer_zip
        assert json.loads(restored.call("lambda", "GetPolicy", {"FunctionName": "fn"})["Policy"])["Statement"][0]["Sid"] == "s"
        assert restored.call("lambda", "PublishVersion", {"FunctionName": "fn"})["Version"] == "1"  # unchanged since
        restored.call("lambda", "UpdateFunctionConfiguration", {"FunctionName": "fn", "Timeout": 9})
        assert restored.call("lambda", "PublishVersion", {"FunctionName": "fn"})["Version"] == "2"
    finally:
        restored.close()


def test_a_zip_larger_than_the_servers_usual_body_limit_uploads(lam: Any) -> None:
    # AWS takes direct uploads up to 50 MB zipped; the server's 8 MB body limit gives way for
    # Lambda's routes (a 12 MB zip is 16 MB of base64 in the JSON body)
    import os

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
        archive.writestr("blob.bin", os.urandom(12 * 1024 * 1024))
    code = buffer.getvalue()
    created = lam.create_function(FunctionName=f"big-{os.getpid()}", Runtime="python3.12", Handler="handler.handler",
                                  Role=ROLE, Code={"ZipFile": code})
    assert created["CodeSize"] == len(code)
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(code).digest()).decode()


def test_names_are_checked_against_lambdas_patterns(lam: Any) -> None:
    # AWS's answers quote the pattern (public issues: "Value 'a.out_Qm2Ce8JN' at 'functionName'
    # failed to satisfy constraint: Member must satisfy regular expression pattern: ...";
    # "Apparently AWS will not accept single-char env names")
    with pytest.raises(ClientError) as caught:
        create(lam, name="has space")
    code, message, status = error(caught)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("1 validation error detected: Value 'has space' at 'functionName' failed to satisfy constraint: "
                              "Member must satisfy regular expression pattern: ")
    with pytest.raises(ClientError) as caught:
        create(lam, name="single-key", Environment={"Variables": {"A": "1"}})
    assert error(caught)[0] == "ValidationException" and "[a-zA-Z]([a-zA-Z0-9_])+" in error(caught)[1]
    with pytest.raises(ClientError) as caught:
        lam.get_function(FunctionName="no/slash")
    assert error(caught)[0] == "ValidationException"
