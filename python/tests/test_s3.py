"""s3:// inputs read like local ones, against the local S3 server .ci/run starts (ministack on
127.0.0.1, AWS_ENDPOINT_URL): the same chunks, and a missing object is FileNotFoundError."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

import chunkwise
from conftest import copied, require


@pytest.fixture
def bucket():
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        pytest.fail("AWS_ENDPOINT_URL is not set: start a local S3 server as .ci/run does (ministack)")
    require("curl")
    name = f"chunkwise-py-{uuid.uuid4().hex[:8]}"
    put(f"{endpoint}/{name}")
    return endpoint, name


def put(url, path=None):
    command = ["curl", "-sf", "-X", "PUT", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "test:test", url]
    if path is not None:
        command += ["--upload-file", str(path)]
    subprocess.run(command, check=True)


def test_s3_objects_plan_and_read_as_local_files(tmp_path, bucket):
    endpoint, name = bucket
    (reads,) = copied(tmp_path, "fastq/seqkit__reads_1.fq.gz")
    put(f"{endpoint}/{name}/reads.fq.gz", reads)

    local = chunkwise.fastq.plan(reads, chunks=3)
    remote = chunkwise.fastq.plan(f"s3://{name}/reads.fq.gz", chunks=3, index=tmp_path / "remote.cwi")
    assert len(remote) == len(local) == 3
    assert [chunk.sources[0]["url"] for chunk in remote] == [f"s3://{name}/reads.fq.gz"] * 3
    for here, there in zip(local, remote):
        assert chunkwise.read_chunk(there) == chunkwise.read_chunk(here)
        with chunkwise.open_chunk(there) as stream:
            assert stream.read() == chunkwise.read_chunk(here)

    with pytest.raises(FileNotFoundError) as caught:
        chunkwise.fastq.plan(f"s3://{name}/missing.fq.gz", chunks=2)
    assert caught.value.exit_code == 66 and str(caught.value) == f"s3://{name}/missing.fq.gz: not found"
