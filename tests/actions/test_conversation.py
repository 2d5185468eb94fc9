from actions.conversation import consecutive_fallbacks


def user(intent: str) -> dict:
    return {"event": "user", "parse_data": {"intent": {"name": intent}}}


def test_counts_only_the_latest_run_of_fallbacks(tracker_factory):
    events = [user("nlu_fallback"), user("greet"), {"event": "bot"}, user("nlu_fallback"), user("nlu_fallback")]
    assert consecutive_fallbacks(tracker_factory(events=events)) == 2


def test_no_fallback(tracker_factory):
    assert consecutive_fallbacks(tracker_factory(events=[user("greet")])) == 0


def test_off_topic_messages_count_as_not_helped(tracker_factory):
    events = [user("greet"), user("out_of_scope"), user("nlu_fallback")]
    assert consecutive_fallbacks(tracker_factory(events=events)) == 2
