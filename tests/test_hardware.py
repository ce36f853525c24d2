"""hardware/ must say what firmware_py/cues/pins.py says.

The build guide's wiring table, its resistor values and the committed schematic.svg are
all derived from the one pin map; a pin moved in pins.py without regenerating them must
fail here, and the last test shows that it does.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import sys
from pathlib import Path

import pytest

from firmware_py.cues import pins

ROOT = Path(__file__).resolve().parents[1]
HARDWARE = ROOT / "hardware"
README = HARDWARE / "README.md"
SVG = HARDWARE / "schematic.svg"
OUTPUTS = ("green", "amber", "red", "buzzer")


def _load(name: str):
    """Import hardware/<name>.py (hardware/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"kneecue_hardware_{name}", HARDWARE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


schematic = _load("schematic")
mounting = _load("mounting")


def markdown_tables(text: str) -> list[list[dict[str, str]]]:
    """Every pipe table in ``text`` as a list of {header: cell} rows."""
    tables, block = [], []
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        if stripped.startswith("|"):
            block.append(stripped)
            continue
        if len(block) >= 2 and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", block[1]):
            split = [[cell.strip() for cell in row.strip("|").split("|")] for row in block]
            tables.append([dict(zip(split[0], cells)) for cells in split[2:]])
        block = []
    return tables


def table_with(text: str, first_header: str) -> list[dict[str, str]]:
    found = [t for t in markdown_tables(text) if t and next(iter(t[0])) == first_header]
    assert len(found) == 1, f"expected exactly one table starting with {first_header!r}, found {len(found)}"
    return found[0]


def _ohms(text: str) -> int:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(k?)Ω", text.strip()).groups()
    return round(float(number) * (1000 if unit else 1))


def resistors_in(cell: str) -> dict[str, int]:
    """'R4 1 kΩ + R5 10 kΩ' -> {'R4': 1000, 'R5': 10000}."""
    return {m.group(1): _ohms(m.group(2)) for m in re.finditer(r"(R\d+)\s+(\d+(?:\.\d+)?\s*k?Ω)", cell)}


def wiring_problems(readme_text: str, pinmap: pins.PinMap) -> list[str]:
    """Where README's wiring table disagrees with ``pinmap``, HEADER_PIN, GROUND_PINS and
    schematic.RESISTORS.  Empty when they agree."""
    problems = []
    rows = {row["Output"]: row for row in table_with(readme_text, "Output")}
    expected = {row.output: row for row in schematic.wiring(pinmap)}
    if set(rows) != set(expected):
        problems.append(f"rows {sorted(rows)} != {sorted(expected)}")
    rgb_output = {f"RGB {leg.colour} leg": leg.output for leg in schematic.RGB_LEGS}
    signal_output = {**{o: o for o in OUTPUTS}, **rgb_output, "passive buzzer": "buzzer"}
    for label, row in rows.items():
        if label in signal_output:
            bcm = getattr(pinmap, signal_output[label])
            if row["BCM"] != f"GPIO{bcm}":
                problems.append(f"{label}: BCM {row['BCM']}, pin map says GPIO{bcm}")
            if row["Header pin"] != str(pins.HEADER_PIN[bcm]):
                problems.append(f"{label}: header pin {row['Header pin']}, GPIO{bcm} is pin {pins.HEADER_PIN[bcm]}")
        elif label in expected and row["Header pin"] != str(expected[label].phys):
            problems.append(f"{label}: header pin {row['Header pin']}, expected {expected[label].phys}")
        if not row["Ground pin"].isdigit() or int(row["Ground pin"]) not in pins.GROUND_PINS:
            problems.append(f"{label}: ground pin {row['Ground pin']} is not a ground pin")
        elif label in expected and int(row["Ground pin"]) != expected[label].ground:
            problems.append(f"{label}: ground pin {row['Ground pin']}, expected {expected[label].ground}")
        for designator, ohms in resistors_in(row["Resistor"]).items():
            if schematic.RESISTORS.get(designator, (None,))[0] != ohms:
                problems.append(f"{label}: {designator} {ohms} Ω, schematic.RESISTORS says "
                                f"{schematic.RESISTORS.get(designator)}")
    return problems


# --- (a) the README table says what the pin map says ------------------------------------

def test_wiring_table_matches_pin_map_and_resistor_dict():
    assert wiring_problems(README.read_text(encoding="utf-8"), pins.PinMap()) == []


def test_wiring_table_has_each_output_with_its_default_pins():
    rows = {row["Output"]: row for row in table_with(README.read_text(encoding="utf-8"), "Output")}
    defaults = pins.PinMap()
    for output in OUTPUTS:
        bcm = getattr(defaults, output)
        assert rows[output]["BCM"] == f"GPIO{bcm}"
        assert rows[output]["Header pin"] == str(pins.HEADER_PIN[bcm])


def test_every_resistor_in_the_dict_is_in_the_table_and_the_bom():
    text = README.read_text(encoding="utf-8")
    in_table: dict[str, int] = {}
    for row in table_with(text, "Output"):
        in_table.update(resistors_in(row["Resistor"]))
    assert in_table == {k: ohms for k, (ohms, _) in schematic.RESISTORS.items()}
    bom = table_with(text, "ref")
    for row in bom:
        for designator in re.findall(r"R\d+", row["ref"]):
            ohms = schematic.RESISTORS[designator][0]
            assert _ohms(re.search(r"\d+(?:\.\d+)?\s*k?Ω", row["part"]).group()) == ohms, row
    bom_refs = {d for row in bom for d in re.findall(r"R\d+", row["ref"])}
    assert bom_refs == set(schematic.RESISTORS)


def test_wiring_table_is_what_schematic_prints():
    """The table was pasted from ``python hardware/schematic.py --table``, unedited."""
    text = README.read_text(encoding="utf-8")
    assert schematic.markdown_table() in text
    assert schematic.console_table() in text


def test_console_table_is_the_uart():
    rows = table_with(README.read_text(encoding="utf-8"), "Console signal")
    by_bcm = {row["BCM"]: row for row in rows}
    for bcm in (14, 15):
        assert "UART" in pins.RESERVED[bcm]
        assert by_bcm[f"GPIO{bcm}"]["Header pin"] == str(pins.HEADER_PIN[bcm])
    assert int(by_bcm["—"]["Header pin"]) in pins.GROUND_PINS


def test_pins_named_in_the_prose_are_the_defaults():
    """Text outside the tables also names pins: keep it honest too."""
    text = README.read_text(encoding="utf-8")
    defaults = pins.PinMap()
    outputs = set(defaults.outputs().values())
    named = [int(n) for n in re.findall(r"pinctrl (?:set|get) (\d+)", text)]
    assert named and set(named) == outputs, f"pinctrl commands use {sorted(set(named))}, outputs are {sorted(outputs)}"
    for bcm, phys in re.findall(r"GPIO(\d+) \(pin (\d+)\)", text):
        assert pins.HEADER_PIN[int(bcm)] == int(phys), f"GPIO{bcm} is pin {pins.HEADER_PIN[int(bcm)]}, not {phys}"
    rows = {row.output: row for row in schematic.wiring(defaults)}
    led_pins = [rows["green"].ground] + [rows[o].phys for o in ("green", "amber", "red")]
    assert "pins " + "/".join(map(str, led_pins)) in text  # the 1×4 LED harness
    assert f"pins {rows['buzzer'].ground}/{rows['buzzer'].phys}" in text
    assert f"pin {schematic.supply_pin(defaults)} (5 V)" in text


def test_the_electrical_budget_holds():
    for led in (*schematic.LEDS, *schematic.RGB_LEGS):
        ma = schematic.led_current_ma(led.vf, schematic.RESISTORS[led.resistor][0])
        assert 1.0 < ma < 8.0, (led, ma)  # visible, and well under the ~16 mA pin limit
    worst_rgb = schematic.led_current_ma(2.5, schematic.RESISTORS["R8"][0])
    assert worst_rgb <= 8.0
    assert schematic.gpio_total_ma() < 25.0
    # Q1 saturates with margin at the transistor's minimum gain
    assert schematic.base_current_ma() >= 3 * schematic.BUZZER_MA / schematic.HFE_MIN
    # a GPIO weakly pulled up (~50 kΩ) cannot turn Q1 on through R4 against R5
    r4, r5 = schematic.RESISTORS["R4"][0], schematic.RESISTORS["R5"][0]
    assert schematic.GPIO_HIGH_V * r5 / (r5 + r4 + 50_000) < 0.6


def test_mounting_distances_in_readme_are_computed():
    text = README.read_text(encoding="utf-8")
    assert mounting.markdown_table() in "\n".join(line.strip() for line in text.splitlines())
    # the brief's example: a 1.9 m athlete at 80 % of the frame height
    assert mounting.distance_m(1.9, 41.0) == pytest.approx(3.18, abs=0.01)   # standard, landscape
    assert mounting.distance_m(1.9, 66.0) == pytest.approx(1.83, abs=0.01)   # standard, portrait
    assert mounting.distance_m(1.9, 102.0) == pytest.approx(0.96, abs=0.01)  # wide, portrait


def test_ground_and_supply_pins_are_on_the_header():
    assert schematic.supply_pin() in schematic.SUPPLY_5V_PINS
    for row in schematic.wiring():
        assert row.ground in pins.GROUND_PINS
    # pins.py's promise for its defaults: each harness sits next to a ground pin
    rows = {row.output: row for row in schematic.wiring()}
    for output in OUTPUTS:
        (r1, _), (r2, _) = (schematic.header_position(rows[output].phys),
                            schematic.header_position(rows[output].ground))
        assert abs(r1 - r2) <= 3, (
            f"{output} (header pin {rows[output].phys}) is {abs(r1 - r2)} rows from its ground pin "
            f"{rows[output].ground}: the default pins no longer make a short harness")


# --- (b) the committed SVG is what the code draws now -----------------------------------

def _schemdraw():
    return pytest.importorskip(
        "schemdraw", reason="schemdraw is not installed: pip install schemdraw to check hardware/schematic.svg")


def test_committed_svg_is_regenerated():
    sd = _schemdraw()
    committed = SVG.read_text(encoding="utf-8")
    made_with = re.search(r"with schemdraw (\S+) ", committed)
    assert made_with, "schematic.svg lacks its provenance comment: run python hardware/schematic.py"
    if made_with.group(1) != sd.__version__:
        pytest.skip(f"schematic.svg was drawn with schemdraw {made_with.group(1)}, installed is "
                    f"{sd.__version__}; byte comparison needs the same version")
    assert schematic.render_svg() == committed, (
        "hardware/schematic.svg is stale: run python hardware/schematic.py and commit it")


def test_svg_is_deterministic():
    _schemdraw()
    assert schematic.render_svg() == schematic.render_svg()


def test_svg_labels_every_default_pin():
    committed = SVG.read_text(encoding="utf-8")
    defaults = pins.PinMap()
    for output in OUTPUTS:
        bcm = getattr(defaults, output)
        assert f">GPIO{bcm}<" in committed, f"GPIO{bcm} ({output}) is not labelled in schematic.svg"
        assert f">{pins.HEADER_PIN[bcm]}<" in committed, f"header pin of GPIO{bcm} missing"
    for designator, (ohms, _) in schematic.RESISTORS.items():
        if designator in ("R7", "R8", "R9"):  # the RGB variant is in the table, not drawn
            continue
        assert f"{designator}  {schematic._kohm(ohms)}" in committed, designator


# --- (c) the checks are real: a moved pin is caught -------------------------------------

@pytest.fixture
def moved_defaults(monkeypatch):
    """pins.PinMap whose default green pin moved to another free header GPIO.

    Returns (old BCM, new BCM)."""
    before = pins.PinMap()
    taken = set(before.outputs().values()) | set(pins.RESERVED)
    new = min(b for b in pins.HEADER_PIN if b not in taken)

    @dataclasses.dataclass(frozen=True)
    class MovedPinMap(pins.PinMap):
        green: int = new

    monkeypatch.setattr(pins, "PinMap", MovedPinMap)
    assert pins.PinMap().green == new
    return before.green, new


def test_moved_default_pin_fails_the_readme_check(moved_defaults):
    old, new = moved_defaults
    problems = wiring_problems(README.read_text(encoding="utf-8"), pins.PinMap())
    assert f"green: BCM GPIO{old}, pin map says GPIO{new}" in problems, problems
    assert any(p.startswith("RGB green leg: BCM") for p in problems), problems
    assert schematic.markdown_table() not in README.read_text(encoding="utf-8")


def test_moved_default_pin_fails_the_svg_check(moved_defaults):
    _schemdraw()
    old, new = moved_defaults
    redrawn = schematic.render_svg()  # schematic reads pins.PinMap at call time
    assert redrawn != SVG.read_text(encoding="utf-8")
    assert f">GPIO{new}<" in redrawn and f">{pins.HEADER_PIN[new]}<" in redrawn
    assert f">GPIO{old}<" not in redrawn


def test_wrong_resistor_in_readme_is_caught():
    text = README.read_text(encoding="utf-8")
    tampered = text.replace("R4 1 kΩ + R5 10 kΩ |", "R4 1 kΩ + R5 100 kΩ |", 1)
    assert tampered != text
    assert any("R5 100000 Ω" in p for p in wiring_problems(tampered, pins.PinMap()))
