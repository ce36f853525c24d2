"""KneeCue's wiring, drawn from the one pin map.

Everything electrical that the build guide (hardware/README.md) states lives here once:
the resistor values (``RESISTORS``), the parts (``PARTS``), the LED forward voltages,
which header ground and 5 V pins each harness uses, and the current each resistor
sets.  The pins themselves come from ``firmware_py.cues.pins`` (PinMap defaults,
HEADER_PIN, GROUND_PINS), read at call time, so a changed pin map changes the drawing,
and tests/test_hardware.py fails until the SVG and the README table are regenerated.

    python hardware/schematic.py [OUT.svg]   # writes hardware/schematic.svg by default
    python hardware/schematic.py --table     # prints the README wiring table (markdown)
    python hardware/schematic.py --console   # prints the README serial-console table

Needs ``schemdraw`` (pure Python, MIT, PyPI) for the drawing; the table does not.
The SVG is deterministic: same code + same schemdraw version -> same bytes.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from firmware_py.cues import pins  # noqa: E402  (module, not names: read PinMap late)

DEFAULT_SVG = Path(__file__).resolve().with_name("schematic.svg")

# --- electrical assumptions -------------------------------------------------------------

GPIO_HIGH_V = 3.3   # a Pi GPIO driven high (it sags ~0.1-0.2 V under a few mA: currents below are upper bounds)
VBE_ON_V = 0.7      # NPN base-emitter drop when conducting
BUZZER_MA = 30.0    # active 5 V magnetic buzzer, datasheet maximum
HFE_MIN = 75        # P2N2222A minimum DC gain at 10 mA (BC337-40: 250); conservative for 30 mA
SUPPLY_5V_PINS = (2, 4)

# One dict for every resistor value; README.md's table and BOM must match it.
RESISTORS: dict[str, tuple[int, str]] = {
    # designator: (ohms, job)
    "R1": (220, "green LED series resistor"),
    "R2": (220, "amber LED series resistor"),
    "R3": (220, "red LED series resistor"),
    "R4": (1_000, "Q1 base resistor (GPIO -> base)"),
    "R5": (10_000, "Q1 base pull-down (base -> emitter/GND): silent while the GPIO floats"),
    "R6": (1_000, "bleed resistor across a passive piezo (passive-buzzer variant only)"),
    "R7": (220, "RGB LED red leg (RGB variant)"),
    "R8": (100, "RGB LED green leg (RGB variant)"),
    "R9": (100, "RGB LED blue leg (RGB variant)"),
}


@dataclass(frozen=True)
class Part:
    designator: str
    what: str
    mpn: str  # an example manufacturer part number; equivalents are fine


PARTS: dict[str, Part] = {
    "D1": Part("D1", "LED 5 mm, green 568 nm (GaP), diffused, Vf 2.2 V typ", "Kingbright WP7113GD"),
    "D2": Part("D2", "LED 5 mm, yellow/amber 590 nm, diffused, Vf 2.1 V typ", "Kingbright WP7113YD"),
    "D3": Part("D3", "LED 5 mm, red 627 nm (GaAsP/GaP), diffused, Vf 2.0 V typ", "Kingbright WP7113ID"),
    "D4": Part("D4", "small-signal diode, flyback across the buzzer", "onsemi 1N4148"),
    "D5": Part("D5", "RGB LED 5 mm, common cathode, diffused (RGB variant)",
               "Kingbright WP154A4SUREQBFZGW"),
    "Q1": Part("Q1", "NPN transistor, TO-92, 40 V / 600 mA (pinout E-B-C)", "onsemi P2N2222AG"),
    "BZ1": Part("BZ1", "active (self-oscillating) magnetic buzzer, 5 V, 30 mA max, 85 dB @ 10 cm",
                "Same Sky (CUI Devices) CMI-1295-0585T"),
    "BZ2": Part("BZ2", "passive piezo transducer, ~4 kHz (passive-buzzer variant)", "TDK PS1240P02BT"),
}
RESISTOR_MPN = {220: "Yageo CFR-25JB-52-220R", 100: "Yageo CFR-25JB-52-100R",
                1_000: "Yageo CFR-25JB-52-1K", 10_000: "Yageo CFR-25JB-52-10K"}


@dataclass(frozen=True)
class Led:
    output: str      # PinMap field
    designator: str
    colour: str
    vf: float        # forward voltage used for the resistor, V
    resistor: str    # key of RESISTORS


LEDS = (
    Led("green", "D1", "green", 2.2, "R1"),
    Led("amber", "D2", "amber", 2.1, "R2"),
    Led("red", "D3", "red", 2.0, "R3"),
)
# Common-cathode RGB LED (pins.PinMap docstring): red leg on `red`, green leg on `green`,
# blue leg on `amber`.  InGaN green/blue dies drop ~2.8-3.0 V at a few mA, so little is
# left of 3.3 V: a smaller resistor, and their current varies from LED to LED.
RGB_LEGS = (
    Led("red", "D5", "red", 2.0, "R7"),
    Led("green", "D5", "green", 2.9, "R8"),
    Led("amber", "D5", "blue", 2.9, "R9"),
)


# --- header geometry --------------------------------------------------------------------

def header_position(phys: int) -> tuple[int, int]:
    """(row, column) of a physical pin: odd pins are column 0, row 0 holds pins 1 and 2."""
    return (phys - 1) // 2, (phys - 1) % 2


def nearest_pin(candidates: tuple[int, ...], *phys: int) -> int:
    """The candidate pin a harness to ``phys`` reaches most easily.

    Prefer a pin in the same header column as the signal pins (one single-row connector
    housing), then the shortest reach along the header, then the lower number.
    """
    spots = [header_position(p) for p in phys]

    def cost(candidate: int) -> tuple[int, int, int]:
        row, col = header_position(candidate)
        other_column = sum(c != col for _, c in spots)
        reach = max(abs(r - row) for r, _ in spots)
        return other_column, reach, candidate

    return min(candidates, key=cost)


# --- the wiring, as rows ----------------------------------------------------------------

def _kohm(ohms: int) -> str:
    return f"{ohms // 1000} kΩ" if ohms >= 1000 and ohms % 1000 == 0 else f"{ohms} Ω"


def led_current_ma(vf: float, ohms: int) -> float:
    return (GPIO_HIGH_V - vf) / ohms * 1000


def base_current_ma() -> float:
    """Q1 base current with the GPIO high: through R4, minus what R5 steals."""
    r4, r5 = RESISTORS["R4"][0], RESISTORS["R5"][0]
    return ((GPIO_HIGH_V - VBE_ON_V) / r4 - VBE_ON_V / r5) * 1000


@dataclass(frozen=True)
class WiringRow:
    output: str      # "green", "amber", "red", "buzzer", a supply, or a variant label
    bcm: int | None  # None for ground and 5 V rows
    phys: int
    part: str
    resistor: str    # designator(s), e.g. "R1" or "R4+R5"
    calculation: str
    ground: int


def wiring(pinmap: pins.PinMap | None = None) -> list[WiringRow]:
    """Every row of the README wiring table, for ``pinmap`` (default: PinMap())."""
    pm = pinmap if pinmap is not None else pins.PinMap()
    hp = pins.HEADER_PIN
    led_phys = [hp[getattr(pm, led.output)] for led in LEDS]
    led_gnd = nearest_pin(pins.GROUND_PINS, *led_phys)
    buzzer_phys = hp[pm.buzzer]
    buzzer_gnd = nearest_pin(pins.GROUND_PINS, buzzer_phys)
    led_total = sum(led_current_ma(led.vf, RESISTORS[led.resistor][0]) for led in LEDS)
    rows = []
    for led in LEDS:
        ohms = RESISTORS[led.resistor][0]
        bcm = getattr(pm, led.output)
        rows.append(WiringRow(
            led.output, bcm, hp[bcm], f"{led.designator} {PARTS[led.designator].mpn}",
            f"{led.resistor} {_kohm(ohms)}",
            f"(3.3 V − {led.vf:.1f} V) / {ohms} Ω = {led_current_ma(led.vf, ohms):.1f} mA",
            led_gnd))
    r4, r5 = RESISTORS["R4"][0], RESISTORS["R5"][0]
    ib = base_current_ma()
    needed = BUZZER_MA / HFE_MIN
    rows.append(WiringRow(
        "buzzer", pm.buzzer, buzzer_phys, f"Q1 {PARTS['Q1'].mpn} + BZ1 {PARTS['BZ1'].mpn} + D4",
        f"R4 {_kohm(r4)} + R5 {_kohm(r5)}",
        f"Ib = (3.3 − 0.7) V / {_kohm(r4)} − 0.7 V / {_kohm(r5)} = {ib:.1f} mA, "
        f"{ib / needed:.0f}× the {needed:.1f} mA that {BUZZER_MA:.0f} mA / hFE {HFE_MIN} needs: Q1 saturates",
        buzzer_gnd))
    rows.append(WiringRow(
        "GND for the LEDs", None, led_gnd, "D1–D3 cathodes (flat side, short leg) joined", "—",
        f"returns ≤ {led_total:.1f} mA (all three on)", led_gnd))
    rows.append(WiringRow(
        "GND for the buzzer", None, buzzer_gnd, "Q1 emitter and R5", "—",
        f"returns ≤ {BUZZER_MA:.0f} mA + {ib:.1f} mA", buzzer_gnd))
    rows.append(WiringRow(
        "+5 V", None, supply_pin(pm), "BZ1 (+) and D4 cathode only: never to a GPIO", "—",
        f"≤ {BUZZER_MA:.0f} mA from the Pi's 5 V rail", buzzer_gnd))
    for leg in RGB_LEGS:
        ohms = RESISTORS[leg.resistor][0]
        bcm = getattr(pm, leg.output)
        rows.append(WiringRow(
            f"RGB {leg.colour} leg", bcm, hp[bcm], f"D5 {PARTS['D5'].mpn}",
            f"{leg.resistor} {_kohm(ohms)}",
            f"(3.3 V − ~{leg.vf:.1f} V) / {ohms} Ω ≈ {led_current_ma(leg.vf, ohms):.0f} mA"
            + (" (varies with the LED)" if leg.vf > 2.5 else ""),
            led_gnd))
    r6 = RESISTORS["R6"][0]
    rows.append(WiringRow(
        "passive buzzer", pm.buzzer, buzzer_phys, f"Q1 + BZ2 {PARTS['BZ2'].mpn}",
        f"R4 {_kohm(r4)} + R5 {_kohm(r5)} + R6 {_kohm(r6)}",
        f"same Q1 driver; R6 discharges the piezo: 5 V / {_kohm(r6)} = "
        f"{5 / r6 * 1000:.0f} mA while on",
        buzzer_gnd))
    return rows


def gpio_total_ma() -> float:
    """Worst case drawn from GPIO pins: all three LEDs on at once plus Q1's base."""
    return sum(led_current_ma(led.vf, RESISTORS[led.resistor][0]) for led in LEDS) + base_current_ma()


def console_wiring() -> tuple[list[tuple[str, int, int, str]], int]:
    """The coach's serial console on the GPIO UART: (signal, BCM, physical pin, adapter
    pin) rows and the ground pin next to them.  The UART pins are fixed by the SoC."""
    uart = [("TXD (Pi transmits)", 14, "adapter RX"), ("RXD (Pi receives)", 15, "adapter TX")]
    rows = [(name, bcm, pins.HEADER_PIN[bcm], to) for name, bcm, to in uart]
    return rows, nearest_pin(pins.GROUND_PINS, *(phys for _, _, phys, _ in rows))


def supply_pin(pinmap: pins.PinMap | None = None) -> int:
    """The 5 V header pin for the buzzer harness."""
    pm = pinmap if pinmap is not None else pins.PinMap()
    return nearest_pin(SUPPLY_5V_PINS, pins.HEADER_PIN[pm.buzzer])


TABLE_HEADER = ("Output", "BCM", "Header pin", "Part", "Resistor", "Calculation", "Ground pin")


def markdown_table(pinmap: pins.PinMap | None = None) -> str:
    lines = ["| " + " | ".join(TABLE_HEADER) + " |", "|" + "---|" * len(TABLE_HEADER)]
    for row in wiring(pinmap):
        cells = (row.output, "—" if row.bcm is None else f"GPIO{row.bcm}", str(row.phys), row.part, row.resistor,
                 row.calculation, str(row.ground))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def console_table() -> str:
    rows, gnd = console_wiring()
    lines = ["| Console signal | BCM | Header pin | Connect to |", "|---|---|---|---|"]
    lines += [f"| {name} | GPIO{bcm} | {phys} | {to} |" for name, bcm, phys, to in rows]
    lines.append(f"| GND | — | {gnd} | adapter GND |")
    return "\n".join(lines)


# --- the drawing ------------------------------------------------------------------------

def draw(pinmap: pins.PinMap | None = None):
    """The schematic as a schemdraw Drawing (SVG backend, text kept as <text>).

    Coordinates are explicit (drawing units, y up) so the layout stays put when a pin
    number changes; only labels change.
    """
    import schemdraw
    import schemdraw.elements as elm

    schemdraw.svgconfig.text = "text"       # searchable labels, no ziamath dependency

    pm = pinmap if pinmap is not None else pins.PinMap()
    hp = pins.HEADER_PIN
    rows = {r.output: r for r in wiring(pm)}
    v5 = supply_pin(pm)
    led_gnd, bz_gnd = rows["green"].ground, rows["buzzer"].ground
    r4, r5, r6 = (RESISTORS[k][0] for k in ("R4", "R5", "R6"))

    # rows on the header box's right side, top to bottom
    y = {"v5": 16.0, "buzzer": 12.0, "gnd_bz": 8.0,
         "green": 6.0, "amber": 3.8, "red": 1.6, "gnd_led": -0.6}
    box_bottom, box_top = -1.6, 17.0
    height = box_top - box_bottom

    d = schemdraw.Drawing(canvas="svg", show=False, margin=1.2)
    d.config(fontsize=11, unit=2.5, font="sans-serif")

    def ic_pin(name: str, phys: int, key: str):
        return elm.IcPin(name=name, pin=str(phys), side="right", anchorname=key,
                         pos=(y[key] - box_bottom) / height)

    pi = d.add(elm.Ic(size=(4.2, height), pins=[
        ic_pin("5V", v5, "v5"),
        ic_pin(f"GPIO{pm.buzzer}", hp[pm.buzzer], "buzzer"),
        ic_pin("GND", bz_gnd, "gnd_bz"),
        ic_pin(f"GPIO{pm.green}", hp[pm.green], "green"),
        ic_pin(f"GPIO{pm.amber}", hp[pm.amber], "amber"),
        ic_pin(f"GPIO{pm.red}", hp[pm.red], "red"),
        ic_pin("GND", led_gnd, "gnd_led"),
    ]))
    y = {key: getattr(pi, key)[1] for key in y}  # where the box actually put each pin tip
    x0 = pi.green[0]
    d.add(elm.Label().at((x0 - 2.1, y["v5"] + 2.4))
          .label("Raspberry Pi 4 / 5, 40-pin header\ninside the box: BCM GPIO; outside: physical pin", fontsize=11))

    # --- LEDs: GPIO -> R -> LED -> cathode rail -> GND -----------------------------------
    rail_x = x0 + 10.0
    for led in LEDS:
        ohms = RESISTORS[led.resistor][0]
        yy = y[led.output]
        d.add(elm.Line().at((x0, yy)).to((x0 + 1.0, yy)))
        d.add(elm.Resistor().at((x0 + 1.0, yy)).to((x0 + 3.5, yy))
              .label(f"{led.resistor}  {_kohm(ohms)}", "top", fontsize=10))
        d.add(elm.Line().at((x0 + 3.5, yy)).to((x0 + 5.0, yy)))
        d.add(elm.LED().at((x0 + 5.0, yy)).to((x0 + 7.0, yy))
              .label(f"{led.designator} {led.colour}: {PARTS[led.designator].mpn}", "bottom",
                     fontsize=9, ofst=0.15))
        d.add(elm.Line().at((x0 + 7.0, yy)).to((rail_x, yy)))
        d.add(elm.Dot().at((rail_x, yy)))
    d.add(elm.Line().at((rail_x, y["green"])).to((rail_x, y["gnd_led"])))
    d.add(elm.Line().at((x0, y["gnd_led"])).to((rail_x, y["gnd_led"])))
    d.add(elm.Dot().at((rail_x, y["gnd_led"])))
    d.add(elm.Ground().at((rail_x, y["gnd_led"])))

    # --- buzzer driver: GPIO -> R4 -> Q1 base; R5 base -> GND; BZ1 between +5 V and C ---
    base_x = x0 + 5.0
    d.add(elm.Line().at((x0, y["buzzer"])).to((x0 + 1.0, y["buzzer"])))
    d.add(elm.Resistor().at((x0 + 1.0, y["buzzer"])).to((x0 + 3.5, y["buzzer"]))
          .label(f"R4  {_kohm(r4)}", "top", fontsize=10))
    d.add(elm.Line().at((x0 + 3.5, y["buzzer"])).to((base_x, y["buzzer"])))
    d.add(elm.Dot().at((base_x, y["buzzer"])))
    q1 = d.add(elm.BjtNpn(circle=True).at((base_x, y["buzzer"])).anchor("base")
               .label(f"Q1\n{PARTS['Q1'].mpn}", "right", fontsize=9))
    d.add(elm.Resistor().at((base_x, y["buzzer"])).to((base_x, y["gnd_bz"] + 0.5))
          .label(f"R5  {_kohm(r5)}\npull-down", "top", fontsize=10))
    d.add(elm.Line().at((base_x, y["gnd_bz"] + 0.5)).to((base_x, y["gnd_bz"])))
    ex = q1.emitter[0]
    d.add(elm.Line().at(q1.emitter).to((ex, y["gnd_bz"])))
    d.add(elm.Line().at((x0, y["gnd_bz"])).to((ex, y["gnd_bz"])))
    d.add(elm.Dot().at((base_x, y["gnd_bz"])))
    d.add(elm.Dot().at((ex, y["gnd_bz"])))
    d.add(elm.Ground().at((ex, y["gnd_bz"])))

    node_y = q1.collector[1] + 0.5          # collector node: BZ1 (−), D4 anode, R6
    d.add(elm.Line().at(q1.collector).to((ex, node_y)))
    d.add(elm.Dot().at((ex, node_y)))
    d.add(elm.RBox(width=0.8, height=1.2).at((ex, node_y)).to((ex, y["v5"]))
          .label(f"BZ1 active buzzer, 5 V\n{PARTS['BZ1'].mpn}\n(+ to +5 V, − to Q1)", "top",
                 fontsize=9, ofst=0.6))
    d.add(elm.Line().at((x0, y["v5"])).to((ex, y["v5"])).label("+5 V", "top", fontsize=11))
    d.add(elm.Dot().at((ex, y["v5"])))

    dx = ex + 2.0                            # D4: cathode to +5 V
    d.add(elm.Line().at((ex, node_y)).to((dx, node_y)))
    d.add(elm.Line().at((ex, y["v5"])).to((dx, y["v5"])))
    d.add(elm.Diode().at((dx, node_y)).to((dx, y["v5"]))
          .label("D4 1N4148\nflyback", "bottom", fontsize=9, ofst=0.3))

    rx = dx + 3.2                            # R6: passive piezo variant only
    d.add(elm.Line(ls="--").at((dx, node_y)).to((rx, node_y)))
    d.add(elm.Line(ls="--").at((dx, y["v5"])).to((rx, y["v5"])))
    d.add(elm.Resistor(ls="--").at((rx, y["v5"])).to((rx, node_y))
          .label(f"R6  {_kohm(r6)}\npassive piezo\nvariant only", "bottom", fontsize=9, ofst=0.3))

    d.add(elm.Label().at((x0 - 5.0, y["gnd_led"] - 2.2)).label(
        "KneeCue outputs, default PinMap (firmware_py/cues/pins.py).\n"
        "RGB variant: one common-cathode RGB LED (D5) replaces D1-D3, legs via R7/R8/R9; see hardware/README.md.",
        fontsize=9, halign="left"))
    return d


def render_svg(pinmap: pins.PinMap | None = None) -> str:
    """The schematic as SVG text, with a provenance comment (deterministic)."""
    import schemdraw

    body = draw(pinmap).get_imagedata("svg").decode("utf-8")
    note = (f"<!-- Generated by hardware/schematic.py with schemdraw {schemdraw.__version__} "
            f"from firmware_py/cues/pins.py. Do not edit: run python hardware/schematic.py -->\n")
    if body.startswith("<?xml"):
        head, _, rest = body.partition("?>")
        return head + "?>\n" + note + rest.lstrip()
    return note + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_SVG,
                        help=f"SVG file to write (default: {DEFAULT_SVG.relative_to(ROOT)})")
    parser.add_argument("--table", action="store_true",
                        help="print the README wiring table (markdown) instead of drawing")
    parser.add_argument("--console", action="store_true",
                        help="print the README serial-console table (markdown) instead of drawing")
    args = parser.parse_args(argv)
    if args.table or args.console:
        print(markdown_table() if args.table else console_table())
        return 0
    svg = render_svg()
    args.out.write_text(svg, encoding="utf-8")
    print(f"wrote {args.out} ({len(svg)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
