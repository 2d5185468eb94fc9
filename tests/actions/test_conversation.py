from actions.conversation import consecutive_fallbacks


def user(intent: str, noise: bool = False) -> dict:
    parse_data = {"intent": {"name": intent}, "noise": {"noise": noise, "words": 1, "known_words": int(not noise)}}
    return {"event": "user", "text": "", "parse_data": parse_data}


def test_counts_only_the_latest_run_of_fallbacks(tracker_factory):
    events = [user("nlu_fallback"), user("greet"), {"event": "bot"}, user("nlu_fallback"), user("nlu_fallback")]
    assert consecutive_fallbacks(tracker_factory(events=events)) == 2


def test_no_fallback(tracker_factory):
    assert consecutive_fallbacks(tracker_factory(events=[user("greet")])) == 0


def test_off_topic_messages_count_as_not_helped(tracker_factory):
    events = [user("greet"), user("out_of_scope"), user("nlu_fallback")]
    assert consecutive_fallbacks(tracker_factory(events=events)) == 2


def test_keyboard_noise_is_no_failure_to_offer_a_person_for(tracker_factory):
    events = [user("nlu_fallback", noise=True), user("out_of_scope", noise=True), user("nlu_fallback", noise=True)]
    assert consecutive_fallbacks(tracker_factory(events=events)) == 0
    events = [user("nlu_fallback"), user("nlu_fallback", noise=True), user("nlu_fallback")]
    assert consecutive_fallbacks(tracker_factory(events=events)) == 2
