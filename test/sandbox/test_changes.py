"""The agent's change tracker (changes.py) on a real folder with the host's inotify: a call's report
costs what it changed, and says created or modified as the old walk-and-diff did."""
import os

import changes


def tracker(root, **kw):
    t = changes.ChangeTracker(root=str(root), **kw)
    t.start()
    t.ready.wait(10)
    return t


def paths(report):
    return sorted((c["path"], c["change"]) for c in report)


def write(root, rel, text="x"):
    path = os.path.join(str(root), rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as f:
        f.write(text)


def test_reports_created_and_modified_files_of_a_call_only(tmp_path):
    write(tmp_path, "old.csv", "1")
    write(tmp_path, "keep.txt", "k")
    t = tracker(tmp_path)
    assert t.exact
    write(tmp_path, "between.txt")          # between calls: nobody's call
    mark = t.begin()
    assert mark is None                     # inotify tells: no walk
    write(tmp_path, "old.csv", "2")
    write(tmp_path, "new/deep/file.txt")    # a folder made during the call brings its files
    os.remove(os.path.join(str(tmp_path), "keep.txt"))
    report, usage = t.end(mark)
    assert paths(report) == [("new/deep/file.txt", "created"), ("old.csv", "modified")]
    assert usage == 2 + 1 + 1               # old.csv, between.txt, new/deep/file.txt


def test_the_outputs_folder_and_symlinks_are_not_reported(tmp_path):
    t = tracker(tmp_path)
    mark = t.begin()
    write(tmp_path, ".outputs/e1.stdout.txt")
    os.symlink("/etc/passwd", os.path.join(str(tmp_path), "link"))
    report, _ = t.end(mark)
    assert report == []


def test_moves_and_deletes_keep_the_view_true(tmp_path):
    write(tmp_path, "a/1.txt", "12345")
    t = tracker(tmp_path)
    mark = t.begin()
    os.rename(os.path.join(str(tmp_path), "a"), os.path.join(str(tmp_path), "b"))
    report, usage = t.end(mark)
    assert paths(report) == [("b/1.txt", "created")]
    assert usage == 5
    mark = t.begin()
    os.remove(os.path.join(str(tmp_path), "b", "1.txt"))
    assert t.end(mark) == ([], 0)


def test_a_write_from_outside_is_taken_in_when_noted(tmp_path):
    t = tracker(tmp_path)
    write(tmp_path, "uploaded.bin", "abc")
    t.note("uploaded.bin")
    assert t.usage()["bytes"] == 3
    mark = t.begin()
    write(tmp_path, "uploaded.bin", "d")
    assert paths(t.end(mark)[0]) == [("uploaded.bin", "modified")]


def test_past_its_caps_it_walks_around_each_call_as_before(tmp_path):
    for i in range(5):
        write(tmp_path, f"d{i}/f.txt")
    t = tracker(tmp_path, watch_cap=3)
    assert not t.exact and t.too_big
    mark = t.begin()
    assert mark is not None                 # the walk of /mnt/data as it was
    write(tmp_path, "d0/f.txt", "y")
    write(tmp_path, "n.txt")
    report, usage = t.end(mark)
    assert paths(report) == [("d0/f.txt", "modified"), ("n.txt", "created")]
    assert usage == 5 + 1 + 1


def test_a_queue_overflow_between_calls_rebuilds_the_view_at_the_next_call(tmp_path):
    t = tracker(tmp_path)
    with t.lock:
        t._event(-1, changes.IN_Q_OVERFLOW, "")
    assert not t.exact
    write(tmp_path, "x.txt")
    mark = t.begin()                        # rebuilt by one walk
    assert mark is None and t.exact
    assert t.usage()["files"] == 1


def test_a_usage_question_during_a_call_loses_nothing_of_its_report(tmp_path):
    t = tracker(tmp_path)
    mark = t.begin()
    for i in range(5):
        write(tmp_path, f"a/{i}.txt")
    assert t.usage()["files"] == 5          # the quota poll, while the code runs
    write(tmp_path, "b.txt")
    write(tmp_path, "a/0.txt", "more")
    report, usage = t.end(mark)
    assert paths(report) == [("a/0.txt", "created")] + [(f"a/{i}.txt", "created") for i in range(1, 5)] + [("b.txt", "created")]
    assert usage == 5 + 1 + 4


def test_events_lost_during_a_call_still_give_its_whole_report(tmp_path):
    write(tmp_path, "old.txt", "1")
    t = tracker(tmp_path)
    mark = t.begin()
    write(tmp_path, "seen.txt")
    t.usage()                               # seen before the loss
    write(tmp_path, "old.txt", "22")
    write(tmp_path, "unseen/x.txt")
    with t.lock:
        t._drain()
        t.touched.clear()                   # as if these events were never delivered
        t._event(-1, changes.IN_Q_OVERFLOW, "")
    report, usage = t.end(mark)
    assert paths(report) == [("old.txt", "modified"), ("seen.txt", "created"), ("unseen/x.txt", "created")]
    assert usage == 3 + 1 + 1
    assert t.begin() is None and t.exact    # rebuilt by one walk at the next call
