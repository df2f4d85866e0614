"""English as a European shop writes it: day before month, a 24-hour clock, weeks from Monday.

Django's `en` formats are American ("12/01/2026 6:46 p.m." for 1 December at 18:46), which a
cashier in Madrid or Lyon who reads the console in English would take for 12 January. Only what
differs from Django's `en` is set here; month and day names still come from the translation.
"""

DATE_FORMAT = "j F Y"  # 1 December 2026
TIME_FORMAT = "H:i"  # 18:46
DATETIME_FORMAT = "j F Y, H:i"  # 1 December 2026, 18:46
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"  # 01/12/2026
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 01/12/2026 18:46
FIRST_DAY_OF_WEEK = 1  # Monday

# What forms accept: ISO first (what <input type="date"> sends), then day-first as the formats
# above print it. Month-first is not accepted: 01/12/2026 is 1 December, never 12 January.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%y %H:%M",
]
