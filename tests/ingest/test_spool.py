"""The spool keeps appended batches on disk, hands them back in order, and frees what is replayed."""

from __future__ import annotations

import pytest

from ingest.spool import Spool, SpooledReading, SpoolFull, encode_record


def readings(n: int, ts0: int = 1000) -> list[SpooledReading]:
    return [SpooledReading("s1", f"m{i % 3}", "pv", ts0 + i * 900, float(i)) for i in range(n)]


def replay_all(spool: Spool) -> list[list[SpooledReading]]:
    batches = []
    for record in spool.pending():
        batches.append(record.readings)
        spool.replayed(record)
    return batches


def test_appended_batches_come_back_in_order_with_their_readings(tmp_path):
    spool = Spool(tmp_path, max_bytes=10**6)
    first, second = readings(3), readings(2, ts0=5000)
    spool.append(1, first)
    spool.append(2, second)

    assert [r.readings for r in spool.pending()] == [first, second]
    assert [r.received_at for r in spool.pending()] == [1, 2]


def test_replayed_batches_are_not_handed_out_again_and_their_files_are_deleted(tmp_path):
    spool = Spool(tmp_path, max_bytes=10**6, segment_bytes=300)
    for i in range(6):
        spool.append(i, readings(3, ts0=i * 10_000))
    assert len(list(tmp_path.glob("*.seg"))) > 1

    assert len(replay_all(spool)) == 6

    assert spool.empty()
    assert list(spool.pending()) == []
    assert list(tmp_path.glob("*.seg")) == []
    assert spool.size == 0


def test_a_new_spool_on_the_same_directory_replays_what_an_earlier_one_left(tmp_path):
    earlier = Spool(tmp_path, max_bytes=10**6)
    earlier.append(7, readings(4))
    earlier.close()

    later = Spool(tmp_path, max_bytes=10**6)

    assert not later.empty()
    assert replay_all(later) == [readings(4)]


def test_partly_replayed_segments_resume_after_the_last_replayed_record(tmp_path):
    spool = Spool(tmp_path, max_bytes=10**6)
    for i in range(3):
        spool.append(i, readings(1, ts0=i))
    first = next(spool.pending())
    spool.replayed(first)

    assert [r.received_at for r in spool.pending()] == [1, 2]


def test_appending_beyond_the_bound_raises_spool_full_and_keeps_what_is_there(tmp_path):
    record_bytes = len(encode_record(0, readings(10)))
    spool = Spool(tmp_path, max_bytes=2 * record_bytes + 10)
    spool.append(0, readings(10))
    spool.append(1, readings(10))

    with pytest.raises(SpoolFull):
        spool.append(2, readings(10))

    assert [r.received_at for r in spool.pending()] == [0, 1]


def test_replaying_frees_room_for_more(tmp_path):
    record_bytes = len(encode_record(0, readings(10)))
    spool = Spool(tmp_path, max_bytes=record_bytes + 10)
    spool.append(0, readings(10))
    replay_all(spool)

    spool.append(1, readings(10))

    assert [r.received_at for r in spool.pending()] == [1]


def test_a_record_cut_short_by_a_crash_is_skipped_and_the_rest_is_kept(tmp_path):
    spool = Spool(tmp_path, max_bytes=10**6)
    spool.append(0, readings(2))
    spool.append(1, readings(2))
    spool.close()
    [segment] = tmp_path.glob("*.seg")
    data = segment.read_bytes()
    segment.write_bytes(data[:-5])  # the second record lost its end

    later = Spool(tmp_path, max_bytes=10**6)

    assert replay_all(later) == [readings(2)]
    assert list(tmp_path.glob("*.seg")) == []


def test_a_corrupted_record_ends_its_segment_without_raising(tmp_path):
    spool = Spool(tmp_path, max_bytes=10**6)
    spool.append(0, readings(2))
    spool.close()
    [segment] = tmp_path.glob("*.seg")
    data = bytearray(segment.read_bytes())
    data[-3] ^= 0xFF
    segment.write_bytes(bytes(data))

    assert replay_all(Spool(tmp_path, max_bytes=10**6)) == []


def test_appends_after_a_restart_go_to_a_new_segment_behind_the_old_ones(tmp_path):
    earlier = Spool(tmp_path, max_bytes=10**6)
    earlier.append(0, readings(1))
    earlier.close()

    later = Spool(tmp_path, max_bytes=10**6)
    later.append(1, readings(1))

    assert len(list(tmp_path.glob("*.seg"))) == 2
    assert [r.received_at for r in later.pending()] == [0, 1]
