"""What a coach typing on a raw serial terminal sees: echo, erase, line ends, limits."""

from __future__ import annotations

from firmware_py.console.lineedit import Cancelled, Line, LineEditor, TooLong


def test_echo_and_line_endings_cr_lf_crlf_give_one_line_each():
    editor = LineEditor()
    echo, events = editor.feed(b"status\rget\nset a 1\r\nhelp\r")
    assert events == [Line("status"), Line("get"), Line("set a 1"), Line("help")]
    assert echo == b"status\r\nget\r\nset a 1\r\nhelp\r\n"


def test_crlf_split_across_reads_is_still_one_line_end():
    editor = LineEditor()
    assert editor.feed(b"status\r")[1] == [Line("status")]
    assert editor.feed(b"\n")[1] == []


def test_backspace_and_delete_erase_on_screen_too():
    editor = LineEditor()
    echo, events = editor.feed(b"stauts\x7f\x7f\x7ftus\x08\x08us\r")
    assert events == [Line("status")]
    assert echo.count(b"\b \b") == 5


def test_ctrl_c_drops_the_line_and_ctrl_u_too():
    editor = LineEditor()
    echo, events = editor.feed(b"set fppa_alert 5\x03status\r")
    assert events == [Cancelled(), Line("status")]
    assert b"^C\r\n" in echo
    assert editor.feed(b"reset all\x15\r")[1] == [Cancelled(), Line("")]


def test_overlong_line_is_refused_whole_and_bells_once():
    editor = LineEditor(max_len=10)
    echo, events = editor.feed(b"x" * 50 + b"\r")
    assert events == [TooLong(50, 10)]
    assert echo.count(b"\x07") == 1 and echo.count(b"x") == 10
    assert editor.feed(b"ok\r")[1] == [Line("ok")]  # the next line is fine


def test_bytes_that_are_not_utf8_are_ignored():
    editor = LineEditor()
    _, events = editor.feed(b"\xff\xfest\xc3atus \xe2\x82\r")
    assert events == [Line("status")]
    assert editor.feed("get \u00e9\r".encode())[1] == [Line("get \u00e9")]


def test_escape_sequences_are_swallowed_and_arrows_recall_history():
    editor = LineEditor()
    editor.feed(b"status\rget fppa_alert\r")
    echo, events = editor.feed(b"\x1b[A\x1b[A\x1b[B\r")  # up, up, down: the latest again
    assert events == [Line("get fppa_alert")]
    # ctrl-right is swallowed; "ve" typed; up-arrow (ESC O A) replaces it; the delete key is swallowed
    _, events = editor.feed(b"\x1b[1;5Cve\x1bOA min\x1b[3~\r")
    assert events == [Line("get fppa_alert min")]


def test_without_echo_nothing_is_sent_back():
    editor = LineEditor(echo=False)
    assert editor.feed(b"status\r") == (b"", [Line("status")])
