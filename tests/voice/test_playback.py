"""channels.voice.processors.playback: sentences out as audio and marks, one speech at a time, barge-in."""

from __future__ import annotations

import asyncio

from channels.voice.processors.playback import END_OF_CALL
from tests.voice.fakes import FakeVoice, Line, playback


async def test_each_sentence_is_sent_as_frames_and_a_mark() -> None:
    voice, line = FakeVoice(), Line()
    out = playback(voice, line)
    out.start(out.say(["Your order has shipped. It arrives on Monday.", "(silence)"]))
    await out.wait()
    assert voice.said == ["Your order has shipped.", "It arrives on Monday.", "(silence)"]
    assert line.kinds() == ["media"] * 5 + ["mark"] + ["media"] * 5 + ["mark"], "nothing for an empty sentence"
    assert {m["streamSid"] for m in line.sent} == {"MZ7"}
    assert out.playing and not out.speaking, "sent, not yet played"
    assert not out.played("say-1") and out.played("say-2") and not out.playing


async def test_barge_in_stops_the_speech_and_clears_the_providers_buffer() -> None:
    voice, line = FakeVoice(delay_s=0.05), Line()
    out = playback(voice, line)
    assert not out.cut(), "nothing plays: nothing to cut"
    out.start(out.say(["One. Two. Three. Four."]))
    while "mark" not in line.kinds():
        await asyncio.sleep(0.01)
    assert out.cut()
    await out.wait()
    await asyncio.sleep(0.01)  # the clear is sent in the background
    assert line.kinds()[-1] == "clear" and len(voice.said) < 4 and not out.playing


async def test_a_new_speech_replaces_the_one_being_said() -> None:
    voice, line = FakeVoice(delay_s=0.05), Line()
    out = playback(voice, line)
    out.start(out.say(["First. Second. Third."]))
    await asyncio.sleep(0.07)
    out.start(out.say(["Something else."]))
    await out.wait()
    assert voice.said[-1] == "Something else." and "Third." not in voice.said


async def test_the_end_of_call_mark_follows_the_last_words() -> None:
    voice, line = FakeVoice(), Line()
    out = playback(voice, line)
    await out.say(["Goodbye!"])
    await out.end_after()
    assert [m["mark"]["name"] for m in line.sent if m["event"] == "mark"] == ["say-1", END_OF_CALL]
    assert not out.played("say-1") and out.played(END_OF_CALL)


async def test_last_words_are_neither_replaced_nor_cut() -> None:
    voice, line = FakeVoice(delay_s=0.05), Line()
    out = playback(voice, line)
    out.start(out.say_last("Our time is up. Goodbye!"), last_words=True)
    while "mark" not in line.kinds():
        await asyncio.sleep(0.01)
    assert not out.cut(), "barge-in does not cut a goodbye at the time limit"
    out.start(out.say(["Something else."]))
    await out.wait()
    assert voice.said == ["Our time is up.", "Goodbye!"]
    assert line.marks() == ["say-1", "say-2", END_OF_CALL] and "clear" not in line.kinds()
