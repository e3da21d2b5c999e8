from aggregator.service import Backoff


def test_backoff_doubles_from_start_to_cap() -> None:
    backoff = Backoff(start=1.0, cap=10.0)
    assert [backoff.failed() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_backoff_resets_on_success() -> None:
    backoff = Backoff(start=0.5, cap=60.0)
    backoff.failed()
    backoff.failed()
    backoff.succeeded()
    assert backoff.failed() == 0.5


def test_backoff_defaults_match_the_service() -> None:
    backoff = Backoff()
    assert backoff.failed() == 1.0
    assert backoff.delay == 2.0
