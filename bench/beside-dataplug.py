"""The measuring half of bench/dataplug: one library (Dataplug 1.0.2 or chunkwise's Python
package, each run from its own venv) prepares and fetches every chunk of a FASTQ.gz, a FASTA
and a COG held in a local S3, and checks what came back against the local originals: every
record, base and pixel exactly once. Prints one JSON line per format.
Usage: beside-dataplug.py dataplug|chunkwise WORK_DIR BUCKET"""

import gzip
import json
import os
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import numpy

library, work, bucket = sys.argv[1], sys.argv[2], sys.argv[3]
ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
CHUNKS = 16
WORKERS = 2  # the machine's cores; both libraries fetch with the same pool


def timed(call):
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def fetch_all(fetch, chunks):
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(fetch, chunks))


def fastq_records(text):
    lines = text.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [b"\n".join(lines[i : i + 4]) for i in range(0, len(lines), 4)]


def check_fastq(chunks_text):
    original = gzip.decompress(open(os.path.join(work, "reads.fq.gz"), "rb").read())
    together = b"".join(chunks_text)
    if together == original:
        return True, "every record once, in order"
    want, got = Counter(fastq_records(original)), Counter(fastq_records(together))
    missing, extra = sum((want - got).values()), sum((got - want).values())
    return False, f"{missing} records missing, {extra} extra or corrupt"


def read_fasta(text):
    """Sequences by name (the header's first word, as samtools names them)."""
    sequences, name = {}, None
    for line in text.split(b"\n"):
        if line.startswith(b">"):
            name = line[1:].split()[0]
            sequences.setdefault(name, [])
        elif line and name is not None:
            sequences[name].append(line)
    return {name: b"".join(lines) for name, lines in sequences.items()}


def check_fasta(pieces):
    """pieces: (original name, bases) in order; they must concatenate to each sequence."""
    original = read_fasta(open(os.path.join(work, "ref.fa"), "rb").read())
    got = {}
    for name, bases in pieces:
        got.setdefault(name, []).append(bases)
    got = {name: b"".join(parts) for name, parts in got.items()}
    total = sum(len(s) for s in original.values())
    wrong = [name for name in original if got.get(name) != original[name]]
    returned = sum(len(s) for s in got.values())
    if not wrong and set(got) == set(original):
        return True, f"every base once ({total} bases)"
    headers_lost = len(set(original) - set(got))
    return False, f"{len(wrong)} of {len(original)} sequences differ ({headers_lost} headers lost), {returned - total:+d} bases"


def check_cog(windows):
    """windows: ((col, row, width, height), array of shape (bands, height, width))."""
    import rasterio

    with rasterio.open(os.path.join(work, "image.tif")) as image:
        original = image.read()
    coverage = numpy.zeros(original.shape[1:], dtype=numpy.int32)
    wrong = 0
    for (col, row, width, height), pixels in windows:
        coverage[row : row + height, col : col + width] += 1
        wrong += int((pixels != original[:, row : row + height, col : col + width]).any(axis=0).sum())
    never, twice = int((coverage == 0).sum()), int((coverage > 1).sum())
    if never == twice == wrong == 0:
        return True, f"every pixel once ({coverage.size} pixels)"
    return False, f"{never} pixels missing, {twice} returned more than once, {wrong} wrong"


def report(name, prepare, fetch, chunks, check):
    exact, detail = check
    print(json.dumps(dict(library=library, format=name, prepare=prepare, fetch=fetch, chunks=chunks, exact=exact, detail=detail)))
    sys.stdout.flush()


def with_dataplug():
    from dataplug import CloudObject
    from dataplug.formats.genomics.fasta import FASTA, partition_chunks_strategy
    from dataplug.formats.genomics.fastq import FASTQGZip, partition_reads_batches
    from dataplug.formats.geospatial.cog import CloudOptimizedGeoTiff, grid_partition_strategy

    s3 = {"endpoint_url": ENDPOINT, "credentials": {"AccessKeyId": "test", "SecretAccessKey": "test"}}

    def prepare(data_format, key, strategy, *args, **preprocess):
        cloud_object = CloudObject.from_s3(data_format, f"s3://{bucket}/{key}", s3_config=s3)
        cloud_object.preprocess(force=True, **preprocess)
        return cloud_object.partition(strategy, *args)

    slices, prepare_time = timed(lambda: prepare(FASTQGZip, "reads.fq.gz", partition_reads_batches, CHUNKS))
    lines, fetch_time = timed(lambda: fetch_all(lambda s: s.get(), slices))
    texts = [b"".join(line.encode() + b"\n" for line in chunk) for chunk in lines]
    report("FASTQ.gz", prepare_time, fetch_time, len(slices), check_fastq(texts))

    size = os.path.getsize(os.path.join(work, "ref.fa"))
    # One preprocessing chunk: Dataplug's parallel FASTA preprocessing loses headers.
    slices, prepare_time = timed(lambda: prepare(FASTA, "ref.fa", partition_chunks_strategy, CHUNKS, chunk_size=size))
    texts, fetch_time = timed(lambda: fetch_all(lambda s: s.get(), slices))
    pieces = []
    for text in texts:
        # A slice starting inside a sequence repeats its header with " offset=K" appended.
        pieces.extend(read_fasta(text).items())
    report("FASTA", prepare_time, fetch_time, len(slices), check_fasta(pieces))
    # Its parallel preprocessing (4 map tasks), the way it is meant to scale.
    slices, prepare_time = timed(lambda: prepare(FASTA, "ref.fa", partition_chunks_strategy, CHUNKS, chunk_size=size // 4))
    texts, fetch_time = timed(lambda: fetch_all(lambda s: s.get(), slices))
    pieces = [piece for text in texts for piece in read_fasta(text).items()]
    report("FASTA, preprocessed 4-way", prepare_time, fetch_time, len(slices), check_fasta(pieces))

    n = int(CHUNKS**0.5)
    slices, prepare_time = timed(lambda: prepare(CloudOptimizedGeoTiff, "image.tif", grid_partition_strategy, n))
    arrays, fetch_time = timed(lambda: fetch_all(lambda s: s.get(), slices))
    windows = [
        ((int(s.window.col_off), int(s.window.row_off), int(s.window.width), int(s.window.height)), a)
        for s, a in zip(slices, arrays)
    ]
    report("COG", prepare_time, fetch_time, len(slices), check_cog(windows))


def with_chunkwise():
    import chunkwise

    url = lambda key: f"s3://{bucket}/{key}"

    plan, prepare_time = timed(lambda: chunkwise.fastq.plan(url("reads.fq.gz"), chunks=CHUNKS, index=os.path.join(work, "reads.fq.gz.cwi")))
    texts, fetch_time = timed(lambda: fetch_all(chunkwise.read_chunk, plan))
    report("FASTQ.gz", prepare_time, fetch_time, len(plan), check_fastq(texts))

    plan, prepare_time = timed(lambda: chunkwise.fasta.plan(url("ref.fa"), chunks=CHUNKS, fai=os.path.join(work, "ref.fa.fai")))
    texts, fetch_time = timed(lambda: fetch_all(chunkwise.read_chunk, plan))
    pieces = []
    for text in texts:
        for part_id, bases in read_fasta(text).items():
            part = plan.name_map.get(part_id.decode())
            # Parts overlap; each base belongs to one part, which the name map says.
            owned = bases[part.own_start - part.start : part.own_end - part.start + 1]
            pieces.append((part.orig_name.encode(), owned))
    report("FASTA", prepare_time, fetch_time, len(plan), check_fasta(pieces))

    plan, prepare_time = timed(lambda: chunkwise.cog.plan(url("image.tif"), chunks=CHUNKS))
    arrays, fetch_time = timed(lambda: fetch_all(chunkwise.cog.read_window, plan))
    windows = [(tuple(chunk.detail["window"]), a) for chunk, a in zip(plan, arrays)]
    report("COG", prepare_time, fetch_time, len(plan), check_cog(windows))


{"dataplug": with_dataplug, "chunkwise": with_chunkwise}[library]()
