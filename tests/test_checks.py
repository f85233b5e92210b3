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
