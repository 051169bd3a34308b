"""The audit chart: issued tokens and failed authentications per hour over 7 days, as an SVG
drawn on the server (no script, no CDN), with a text alternative and a link per busy hour."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..services.audit import AUTH_FAILED, CHART_HOURS, TOKEN_ISSUED, hour_of

WIDTH = 840  # 5 units per hour
PLOT_TOP, PLOT_HEIGHT = 28, 140
AXIS = PLOT_TOP + PLOT_HEIGHT
HEIGHT = AXIS + 28
BAR = WIDTH / CHART_HOURS


@dataclass(frozen=True)
class Bar:
    """One hour: its counts, where its stacked bars go, and the link that filters the grid."""

    hour: datetime
    issued: int
    failed: int
    x: float
    issued_y: float
    issued_height: float
    failed_y: float
    failed_height: float
    url: str

    @property
    def hour_text(self) -> str:
        return f"{self.hour:%a %d %b %H}:00–{self.hour + timedelta(hours=1):%H}:00 UTC"

    @property
    def label(self) -> str:
        return f"{self.hour_text}: {self.issued} issued, {self.failed} failed"


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    days: list[tuple[float, float, str, str]]  # x of midnight, x of its label, anchor, label
    peak: int
    total_issued: int
    total_failed: int
    width: int = WIDTH
    height: int = HEIGHT
    axis: int = AXIS
    plot_top: int = PLOT_TOP
    bar_width: float = BAR

    @property
    def busy_bars(self) -> list[Bar]:
        return [bar for bar in self.bars if bar.issued or bar.failed]

    @property
    def busiest_failure(self) -> Bar | None:
        worst = max(self.bars, key=lambda bar: bar.failed, default=None)
        return worst if worst is not None and worst.failed else None

    @property
    def summary(self) -> str:
        text = (
            f"Last 7 days: {self.total_issued:,} tokens issued and "
            f"{self.total_failed:,} failed client authentications"
        )
        worst = self.busiest_failure
        if worst is not None:
            text += f"; most failures in one hour: {worst.failed:,} ({worst.hour_text})"
        return text + "."


def _height(count: int, peak: int) -> float:
    if not count:
        return 0.0
    return max(1.5, round(count / peak * PLOT_HEIGHT, 2))


def build_chart(
    counts: dict[str, dict[datetime, int]], now: datetime, url_for_hour: Callable[[datetime], str]
) -> Chart:
    """Lay out the 168 hours ending with the current one (UTC)."""
    first = hour_of(now) - timedelta(hours=CHART_HOURS - 1)
    hours = [first + timedelta(hours=index) for index in range(CHART_HOURS)]
    issued = counts.get(TOKEN_ISSUED, {})
    failed = counts.get(AUTH_FAILED, {})
    peak = max((issued.get(h, 0) + failed.get(h, 0) for h in hours), default=0) or 1
    bars, days = [], []
    for index, hour in enumerate(hours):
        x = round(index * BAR, 2)
        issued_height = _height(issued.get(hour, 0), peak)
        failed_height = _height(failed.get(hour, 0), peak)
        bars.append(
            Bar(
                hour=hour,
                issued=issued.get(hour, 0),
                failed=failed.get(hour, 0),
                x=x,
                issued_y=round(AXIS - issued_height, 2),
                issued_height=issued_height,
                failed_y=round(AXIS - issued_height - failed_height, 2),
                failed_height=failed_height,
                url=url_for_hour(hour),
            )
        )
        if hour.hour == 0:
            # Today's label would run past the right edge: it ends there instead.
            near_end = x > WIDTH - 60
            label_x, anchor = (WIDTH - 2, "end") if near_end else (x + 3, "start")
            days.append((x, label_x, anchor, f"{hour:%a %d %b}"))
    return Chart(
        bars=bars,
        days=days,
        peak=peak,
        total_issued=sum(bar.issued for bar in bars),
        total_failed=sum(bar.failed for bar in bars),
    )
