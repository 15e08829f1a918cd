"""OUT/report.html (issue #15): one offline page, opened in a real browser (Playwright driving Debian's chromium).

The report of a real run must open with no console error and no request leaving the file, draw every logo
from the matrix it stands for (letter heights = information content), list the planted rule, filter the
neurons by TF name, hand out the exact matrices as MEME files, and show a user's motif names as text.
"""

import shutil

import numpy as np
from nmbench.rule_scoring import read_rules, score_rules

from conftest import ESRRB, KLF1, PAIR_SEEDS
from helpers.browser import assert_clean, open_report
from helpers.cli import assert_user_error, invoke
from helpers.seeds import holds_on_most_seeds
from neuronmotif.datasets.demo import planted_database
from neuronmotif.datasets.simulate import Grammar
from neuronmotif.store import RunDirectory, meme_text, read_tsv

HARD = Grammar("ESRRB-3bp-KLF1", [ESRRB, KLF1], [(3, 3)])


def _meme_matrices(path) -> dict[str, np.ndarray]:
    """name -> (L, 4) rows of a MEME text file, parsed here (not by the code under test)."""
    found, name, rows = {}, None, []
    for line in path.read_text().splitlines() + ["MOTIF end"]:
        if line.startswith("MOTIF"):
            if name is not None:
                found[name] = np.array(rows)
            name, rows = line.split()[1], []
        elif name is not None and line.strip() and line.split()[0][0].isdigit():
            rows.append([float(v) for v in line.split()])
    return found


#: px per logo column in the atlas (the known logo is shifted by whole columns)
ATLAS_COLUMN_PX = 14


def _best_match(out, query: str, target: str) -> dict:
    """The first row of the query's layer's matches.tsv naming that target."""
    layer = query.split("_")[0][1:]
    return next(r for r in read_tsv(out / f"layer_{layer}" / "matches.tsv")
                if r["query"] == query and r["target_id"] == target)


def _show(page, section: str):
    page.click(f"nav button[data-section={section}]")
    return page.locator(f"section#{section}")


def _assert_logos_drawn(section) -> int:
    boxes = section.locator(".logo-box")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        assert box.get_attribute("data-matrix"), f"logo {i} has no matrix: {box.text_content()}"
        assert box.locator("svg.logo path").count() > 0, f"logo of {box.get_attribute('data-matrix')} drew nothing"
    return boxes.count()


def test_the_report_of_a_run_opens_offline_and_draws_every_logo(pair_run):
    out, results = pair_run
    report = out / "report.html"
    assert report.exists(), "`run` wrote no report.html"
    rules = read_tsv(out / "rules.tsv")
    motifs = read_tsv(out / "motifs.tsv")
    with open_report(report) as (page, problems):
        cards = _show(page, "rules").locator(".card.rule")
        assert [cards.nth(i).locator("h3").text_content() for i in range(cards.count())] == \
            [f"{r['rule']}  {r['label']}" for r in rules]
        assert _assert_logos_drawn(_show(page, "rules")) == sum(len(r["motifs"].split(";")) for r in rules)

        atlas = _show(page, "atlas")
        assert atlas.locator(".card.motif").count() == len(motifs)
        named = [m for m in motifs if m["best_match_id"]]
        assert atlas.locator(".logo-box[data-matrix^='known:']").count() == len(named)
        assert _assert_logos_drawn(atlas) == len(motifs) + len(named)
        for m in named:  # the known logo sits at the match's offset (matches.tsv), on its strand
            best = _best_match(out, m["representative"], m["best_match_id"])
            card = atlas.locator(f".card.motif[data-motif='{m['motif']}']")
            network = card.locator(f".logo-box[data-matrix='{m['motif']}'] svg").bounding_box()
            known = card.locator(".logo-box[data-matrix^='known:']")
            assert known.get_attribute("data-rc") == ("1" if best["strand"] == "-" else "0")
            shift = (known.locator("svg").bounding_box()["x"] - network["x"]) / ATLAS_COLUMN_PX
            assert abs(shift - -int(best["offset"])) < 1e-6, (m["motif"], shift, best["offset"])

        neurons = _show(page, "neurons")
        seen = 0
        while True:
            seen += neurons.locator(".card.neuron").count()
            _assert_logos_drawn(neurons)
            pager = neurons.locator(".pager .page").text_content()
            current, last = (int(x) for x in pager.replace("page", "").split("/"))
            if current == last:
                break
            neurons.locator(".pager button").nth(1).click()
        assert seen == sum(len(rs) for rs in results.values())

        overview = _show(page, "overview")
        assert overview.locator("table").first.locator("tbody tr").count() == len(results)
    assert_clean(problems, report)


def test_the_rules_section_shows_the_planted_pair_with_its_spacing_curve(pair_runs, pair_models):
    """Where the planted-frame scorer recognises a rule as ESRRB -3 bp- KLF1 (on at least 2 of the 3 seeds,
    ``helpers.seeds.HOST_NOTE``), it is drawn: its logos in order, the model's response against the gap, and
    the gap range it was called over."""

    def check(seed: int) -> str | None:
        out, _ = pair_runs(seed)
        rule = score_rules(read_rules(out, planted_database(pair_models(seed)[1])), [HARD], top=5).found[HARD.name]
        if rule is None:
            return "no rule is the planted pair"
        with open_report(out / "report.html") as (page, problems):
            card = _show(page, "rules").locator(f".card.rule[data-rule='R{rule.rank}']")
            assert rule.label in card.locator("h3").text_content()
            assert card.locator(".chain .logo-box").count() == 2
            plot = card.locator("svg.plot")
            assert plot.count() == 1, "no spacing curve"
            assert plot.locator("polyline").count() == 3 and plot.locator("rect.range").count() == 1
        assert_clean(problems, out / "report.html")
        return None

    holds_on_most_seeds(check, PAIR_SEEDS)


def test_a_logo_letter_is_as_tall_as_its_share_of_the_information_content(pair_run):
    out, _ = pair_run
    crms = _meme_matrices(out / "layer_3" / "crms.meme")
    with open_report(out / "report.html") as (page, _):
        neurons = _show(page, "neurons")
        page.fill("#neuron-search", "L3_N")
        box = neurons.locator(".logo-box[data-matrix^='L3_']").first
        rows = crms[box.get_attribute("data-matrix")]
        ticks = {int(t.get_attribute("data-bits")): t.bounding_box()["y"] for t in box.locator(".tick").all()}
        px_per_bit = (ticks[0] - ticks[2]) / 2
        assert px_per_bit > 0
        heights = np.zeros_like(rows)
        for path in box.locator("path").all():
            column, base = int(path.get_attribute("data-column")), "ACGT".index(path.get_attribute("data-base"))
            heights[column, base] = path.bounding_box()["height"] / px_per_bit
    ic = 2 + np.sum(np.where(rows > 0, rows * np.log2(np.where(rows > 0, rows, 1)), 0), axis=1)
    expected = rows * ic[:, None]
    drawn = expected > 0.01 / px_per_bit  # letters under 0.01 px are left out
    assert np.allclose(heights[drawn], expected[drawn], atol=2e-3), np.abs(heights - expected).max()
    assert np.all(heights[~drawn] == 0)
    assert ic.max() > 1, "pick a CRM with information to draw"


def test_a_matrix_downloads_as_the_meme_file_holds_it(pair_run, tmp_path):
    out, _ = pair_run
    motifs = _meme_matrices(out / "motifs.meme")
    with open_report(out / "report.html") as (page, _):
        atlas = _show(page, "atlas")
        box = atlas.locator(".logo-box[data-matrix^='G']").first
        with page.expect_download() as download:
            box.locator("a.meme").click()
        saved = tmp_path / "motif.meme"
        download.value.save_as(saved)
    name = next(iter(_meme_matrices(saved)))
    assert name in motifs
    assert np.array_equal(_meme_matrices(saved)[name], motifs[name])


def test_a_search_for_a_tf_name_filters_the_neurons(pair_run):
    out, results = pair_run
    with open_report(out / "report.html") as (page, problems):
        neurons = _show(page, "neurons")
        total = neurons.locator("#neuron-count").text_content()
        page.fill("#neuron-search", "klf")
        count = neurons.locator("#neuron-count").text_content()
        shown = neurons.locator(".card.neuron")
        assert 0 < shown.count() < sum(len(rs) for rs in results.values()), (total, count)
        for i in range(shown.count()):
            assert "KLF" in shown.nth(i).text_content().upper()
        page.fill("#neuron-search", "no-such-tf-anywhere")
        assert neurons.locator(".card.neuron").count() == 0
    assert_clean(problems, out / "report.html")


def test_a_partial_run_directory_reports_what_is_finished(pair_run, tmp_path):
    """A run stopped in layer 3 after 3 neurons: the store's own partial files, made as a run makes them."""
    source, results = pair_run
    out = tmp_path / "partial"
    shutil.copytree(source, out)
    for name in ("motifs.tsv", "motifs.meme", "motifs_unverified.tsv", "rules.tsv", "rules.json",
                 "rules_unverified.tsv", "report.html"):
        (out / name).unlink()
    shutil.rmtree(out / "layer_3")
    store = RunDirectory(out)
    for result in results[3][:3]:
        store.save_neuron(3, result, None)
    with store.lock():  # as a run still writing to the directory holds it: the report needs no lock
        assert "report:" in invoke("report", out).output
    with open_report(out / "report.html") as (page, problems):
        rows = _show(page, "overview").locator("table").first.locator("tbody tr")
        assert "partial" in rows.nth(2).text_content() and "finished" in rows.nth(1).text_content()
        assert "has not run" in _show(page, "rules").text_content()
        assert _show(page, "neurons").locator("#neuron-count").text_content().startswith(
            f"{len(results[1]) + len(results[2]) + 3} of")
    assert_clean(problems, out / "report.html")


def test_report_refuses_a_directory_that_is_not_a_run(tmp_path):
    assert_user_error(invoke("report", tmp_path), "not a neuronmotif run directory")


def test_names_from_a_users_files_are_shown_as_text(pair_run, pair_model, tmp_path):
    """The planted matrices in a user's MEME file, named with `neuronmotif grammar` in a run directory whose
    own name is markup too. Both names hold <script>alert(1)</script>, so whichever planted motif the model
    learnt well enough to be named on this machine carries it."""
    hostile = "<script>alert(1)</script>"
    data = pair_model[1]
    db = tmp_path / "mine.meme"
    db.write_text(meme_text([(f"{m} {hostile if m == KLF1 else hostile + '<b>' + data.names[m] + '</b>'}", p, 1)
                             for m, p in data.ppms.items()]))
    out = tmp_path / "run<img src=x onerror=alert(2)>"
    shutil.copytree(pair_run[0], out)
    result = invoke("grammar", out, "--motif-db", db, "--quiet")
    assert result.exit_code == 0, result.output
    with open_report(out / "report.html") as (page, problems):
        atlas = _show(page, "atlas")
        assert hostile in atlas.text_content(), "the user's motif name is not shown"
        assert atlas.locator(f".card.motif h3:has-text('{hostile}')").count() > 0
        _show(page, "neurons")
        page.fill("#neuron-search", "alert")
        assert page.locator(".card.neuron").count() > 0, "searching the user's name finds no neuron"
        assert page.locator("script").count() == 2, "a name became a script element"
        assert page.locator("img, b").count() == 0, "a name became markup"
        assert out.name in page.locator("header").text_content(), "the directory's name is not shown as text"
    assert_clean(problems, out / "report.html")


def test_a_chain_of_three_motifs_is_drawn_with_one_spacing_curve_per_adjacent_pair(pair_run, tmp_path):
    """A chain rule (``neuronmotif.rules.chains``) in rules.json: its three logos in order with each pair's gap
    between them, and one curve per adjacent pair with that pair's range shaded."""
    import json

    from neuronmotif.report import write_report
    from neuronmotif.rules.files import rules_json
    from neuronmotif.rules.rule import Rule, RuleSet
    from neuronmotif.rules.verdicts import Verdict

    out = tmp_path / "run"
    shutil.copytree(pair_run[0], out)
    first = read_tsv(out / "rules.tsv")[0]["motifs"].split(";")[0]
    other = next(m for m in read_tsv(out / "motifs.tsv") if m["motif"] != first)["motif"]
    gaps = list(range(0, 9))
    pair_curve = [{"gaps": gaps, "readouts": {"output 0": {"together": [float(g == k) * 4 for g in gaps],
                                                          "interaction": [float(g == k) * 3 for g in gaps]}}}
                  for k in (3, 5)]
    verdict = Verdict((first, other, first), ("+", "-", "+"), "output 0", 4.0, 1e-9, cooperativity=0.75,
                      driven={"output 0": 3.0}, curve={"pairs": pair_curve}, chain_gaps=((3, 3), (4, 6)),
                      chain_peaks=(3, 5))
    chain = Rule(verdict, ("", "", ""), None, 1e-9, [], f"{first}(+) -[3 bp]- {other}(-) -[4-6 bp]- {first}(+)", rank=1)
    document = json.loads((out / "rules.json").read_text())
    document["rules"] = rules_json(RuleSet([chain], [], {}))["rules"]
    (out / "rules.json").write_text(json.dumps(document))
    write_report(out)
    with open_report(out / "report.html") as (page, problems):
        card = _show(page, "rules").locator(".card.rule[data-rule='R1']")
        assert card.locator(".chain .logo-box").count() == 3
        assert [g.text_content().split()[0:3] for g in card.locator(".chain .gap").all()] == [
            ["3", "bp", "hard"], ["4–6", "bp", "flexible"]]
        plots = card.locator("svg.plot")
        assert plots.count() == 2, "one curve per adjacent pair"
        for i in range(2):
            assert plots.nth(i).locator("polyline").count() == 2 and plots.nth(i).locator("rect.range").count() == 1
    assert_clean(problems, out / "report.html")
