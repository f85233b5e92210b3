from gancourse import checks


def _always(problem):
    return lambda: problem


def test_run_check_pass_fail_and_not_attempted(capsys):
    assert checks.run_check("Ex", "think", _always(None)) is True
    assert "✅ Ex: correct" in capsys.readouterr().out
    assert checks.run_check("Ex", "think", _always("off by one.")) is False
    assert "❌ Ex: off by one. Hint: think" in capsys.readouterr().out

    def unattempted():
        checks.given(...)

    assert checks.run_check("Ex", "think", unattempted) is False
    assert "💡 Ex: not attempted yet. Hint: think" in capsys.readouterr().out


def test_student_errors_are_reported_not_raised(capsys):
    def crashing():
        return checks.call(lambda: 1 / 0)

    assert checks.run_check("Ex", "h", crashing) is False
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_call_treats_placeholder_bodies_as_not_attempted(capsys):
    def student(x):
        ...

    def todo(x):
        raise NotImplementedError

    for fn in (student, todo, ..., None):
        assert checks.run_check("Ex", "h", lambda fn=fn: checks.call(fn, 1)) is False
    assert capsys.readouterr().out.count("not attempted") == 4


def test_checks_leave_the_notebook_random_state_alone(capsys):
    """A check that builds networks must not shift the notebook's later random draws."""
    import torch

    from gancourse.checks import nb02, nb04

    state = torch.get_rng_state()
    nb02.check_generator_parameters(0, 8, 256)  # builds the generator it counts; the answer does not matter here
    assert nb04.check_forward_passes(lambda k: (k, 2 * k + 1))  # G once per D step; D twice per D step, once in the G step
    assert torch.equal(torch.get_rng_state(), state)
