"""Build the built-in US–Mexico network (``networks/data/mx_us/*.csv``) from the sourced reference data.

    python -m networks.data.build_mx_us [--reference DIR] [--out DIR] [--check]

Reads the vendored reference set ``networks/data/reference/`` (the tables ``corridors.csv``,
``ports_of_entry.csv``, ``rail_links.csv``, ``seaports_and_ocean.csv``, ``us_markets.csv`` and the
figure tables of ``leg_variability.md``) and writes ``nodes.csv``, ``links.csv``,
``commodities.csv``, ``supply.csv``, ``demand.csv``, ``crossings.csv`` and ``tariffs.csv``. The same
reference data always gives byte-identical files. ``--check`` writes nothing: it exits 0 when the
tables in ``--out`` equal a fresh build and 1 with a short diff summary otherwise.

Every assumption is a named constant below, with a comment saying where it comes from ("est." =
our estimate, not a sourced figure). ``mx_us/README.md`` explains the method table by table.
This is a maintainer tool (standard library + polars): the package never imports it.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import re
import statistics
import sys
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from networks.queues import RHO_MAX

HERE = Path(__file__).resolve().parent
DEFAULT_REFERENCE = HERE / "reference"  # vendored copy of the shared reference set (reference/README.md)
DEFAULT_OUT = HERE / "mx_us"

# ================================================================================================
# Assumptions. Sources: the reference set (file + row/column) or "est." (our estimate).
# ================================================================================================

# --- units -----------------------------------------------------------------------------------
EARTH_RADIUS_KM = 6371.0  # haversine, as in reference-data/build_dataset.py
KM_PER_MILE = 1.609  # as in us_markets.csv
KM_PER_NM = 1.852
DAYS_PER_YEAR = 365
CALENDAR_DAYS_PER_MONTH = 365 / 12

# --- volumes: demand and supply totals ---------------------------------------------------------
# ~40% of NB trucks run empty (CANACAR Reynosa 2019, ports_of_entry.csv POE_PHR notes); applied border-wide (est.)
LOADED_SHARE_NB_TRUCKS = 0.60
MODELLED_SHARE_OF_LOADED = 0.60  # est.: share of loaded NB trucks / loaded rail boxes carrying the four modelled groups
MX_SHARE_OF_DEMAND = 0.65  # est.: Mexico's share of the modelled US demand; the Asian origins can serve the rest
COMMODITY_SHARE = {  # est.: mix of the modelled US demand (sums to 1)
    "auto_parts": 0.50,
    "electronics": 0.30,
    "appliances": 0.12,
    "medical_devices": 0.08,
}
JAN_JUL_2024_DAYS = 213  # days in the Jan-Jul 2024 window of the Manzanillo TEU figure
TEU_PER_LOAD = 2.0  # one load = one 40-ft container

# --- commodities (all est.; value anchored on the derived ~US$80k average loaded NB truck, see README) -
# est.: may the commodity's loads use FAST lanes (C-TPAT-certified shipper, carrier and driver)? Auto, electronics
# and medical-device exporters are large OEM / contract-manufacturer programmes that run C-TPAT; household
# appliances also move with many small carriers outside FAST. The reference set has no figure on this.
FAST_ELIGIBLE = {"auto_parts": True, "electronics": True, "appliances": False, "medical_devices": True}
COMMODITIES = (
    # id, name, value USD/load, electricity kWh per USD shipped, water litres per USD shipped
    ("auto_parts", "Auto parts and OEM assembly output", 75_000, 0.10, 0.50),
    ("electronics", "Electronics and electrical equipment", 160_000, 0.025, 0.10),
    ("appliances", "Household appliances", 40_000, 0.08, 0.50),
    ("medical_devices", "Medical devices", 300_000, 0.03, 0.20),
)

# --- background: the NB traffic at the crossings that the network does not model as demand (issue 12) ---
BACKGROUND = "background"  # commodity id (networks.schema.BACKGROUND_COMMODITY)
US_IMPORTS_FROM_MX_USD = 506e9  # headline_figures.md "US imports from Mexico, 2024"
TRUCK_VALUE_SHARE = 0.725  # headline_figures.md mode split of US-Mexico freight value: truck 72.5 %
BACKGROUND_FAST_ELIGIBLE = True  # est.: today's background uses FAST lanes in the same 0.30 share as the volume
US_PORT_INBOUND_TEU_2024 = {  # inbound loaded TEU 2024 at the model's US seaports (all origins)
    "Los_Angeles_Long_Beach": (10_086_232, "PMSA 2024 YTD inbound loaded (San Pedro Bay total)"),
    "Oakland": (964_240, "PMSA 2024 YTD inbound loaded"),
    "Seattle_Tacoma": (1_289_198, "PMSA 2024 YTD inbound loaded (NWSA)"),
    "Savannah": (2_814_410, "est.: PMSA monthly inbound loaded, Georgia, Jul/Sep/Oct/Nov/Dec-2024 mean x 12"),
    "Houston": (1_885_394, "est.: PMSA monthly inbound loaded, Houston, Jul/Sep/Oct/Nov/Dec-2024 mean x 12"),
}
US_PORT_TEU_SOURCE = ("https://pmsaship.com/maritime-insights-blog/dec2024teusfinal ; "
                      "https://pmsaship.com/maritime-insights-blog/july2024teusfinal (and sep/oct/nov 2024 pages); "
                      "all origins, not Asia alone: East and Gulf shares of Asian imports are lower (est.)")
CALIBRATION_BANDS = {  # issue 12: what the as-operated base case must reproduce
    "truck_tvd_max": 0.15, "laredo_truck_share": (0.33, 0.47), "rail_share": (0.05, 0.13),
    "eagle_pass_rail_rank_max": 2, "gateway_tvd_max": 0.15,
}
OBSERVED_COLUMNS = ("measure", "id", "value", "unit", "source")
BORDER_ROAD_BASIS = ("est.: the road between neighbouring border cities on the same side (MX 2 / US border highways); "
                     "lets traffic divert to another crossing when one closes")

# --- Mexican plants: share of Mexico's modelled capacity and sector mix (read from corridors.csv) -----
PLANT_WEIGHT = {  # relative weight; normalised. Figures quoted from corridors.csv fdi_or_output_figure
    "MX_MTY": 12.0,  # NL: IMMEX employment 11.6%, establishments 13.0-13.6%
    "MX_SAL": 6.0,  # Coahuila: IMMEX establishments 6.9%; Saltillo-Ramos Arizpe is its main cluster
    "MX_CJS": 10.5,  # Chihuahua: IMMEX employment 14.6%; Juarez >300k of 426,870 maquila jobs (~70%)
    "MX_CUU": 3.0,  # Chihuahua city: ~93,000 maquila jobs (~22% of the state's 14.6%)
    "MX_TIJ": 8.5,  # BC: IMMEX employment 12.6%; Tijuana ~2/3 (41% of NW absorption vs Juarez 23%)
    "MX_MXL": 4.0,  # BC remainder (~1/3)
    "MX_HMO": 3.0,  # Sonora: IMMEX establishments 5.4%, part of it in Hermosillo (est.)
    "MX_GDL": 5.0,  # Jalisco: ~21% of Mexico's electronics exports, GDP 7.5% (est. weight)
    "MX_QRO": 3.6,  # Queretaro: IMMEX employment 3.6%
    "MX_SLP": 3.0,  # est.: GM + BMW plants; no IMMEX share given
    "MX_AGS": 3.0,  # est.: 3 auto plants (Nissan A1, A2, COMPAS)
    "MX_BAJ": 6.0,  # Guanajuato: IMMEX value added #2 (MXN 183.9B H1-2024), 4 OEM plants
    "MX_PUE": 3.0,  # est.: VW + Audi; GDP share 3.5%
    "MX_CDMX": 2.0,  # est.: FDI is booked at HQs; little export manufacturing (Ford Cuautitlan)
    "MX_TLC": 2.0,  # est.: Stellantis Toluca
    "MX_REY": 4.0,  # Tamaulipas: IMMEX establishments 6.4%, 354 maquila plants; Reynosa ~60% (est.)
    "MX_MAT": 2.0,  # Tamaulipas ~30% (est.)
    "MX_NLD": 0.5,  # Tamaulipas remainder; 9 maquila parks (est.)
}
_TAMAULIPAS_MIX = {"appliances": 31, "electronics": 19, "auto_parts": 12}  # maquila output shares, MX_REY row
PLANT_SECTOR_MIX = {  # commodity split of each plant's capacity, from corridors.csv main_sectors
    "MX_MTY": {"appliances": 1, "auto_parts": 1},
    "MX_SAL": {"auto_parts": 1},
    "MX_CJS": {"auto_parts": 59, "electronics": 27, "medical_devices": 6},  # Juarez maquila mix
    "MX_CUU": {"auto_parts": 1},  # Ford engines, auto parts (aerospace not modelled)
    "MX_TIJ": {"medical_devices": 2, "electronics": 2, "auto_parts": 1},  # med devices, electronics, Toyota (est.)
    "MX_MXL": {"electronics": 3, "medical_devices": 2},  # est. split
    "MX_HMO": {"auto_parts": 1},
    "MX_GDL": {"electronics": 4, "auto_parts": 1},  # 'Silicon Valley' + Honda El Salto (est. split)
    "MX_QRO": {"appliances": 1, "auto_parts": 1},
    "MX_SLP": {"auto_parts": 1},
    "MX_AGS": {"auto_parts": 1},
    "MX_BAJ": {"auto_parts": 1},
    "MX_PUE": {"auto_parts": 1},
    "MX_CDMX": {"auto_parts": 1},  # only modelled sector listed: Ford Cuautitlan
    "MX_TLC": {"auto_parts": 1},
    "MX_REY": _TAMAULIPAS_MIX,
    "MX_MAT": {"auto_parts": 1, "electronics": 1},
    "MX_NLD": _TAMAULIPAS_MIX,  # no manufacturing sector listed; Tamaulipas maquila mix
}
PLANT_DWELL_H = 2.0  # est.: loading and gate-out at the plant

# Power and water: no binding limit in the base case. The reference set says power limits *new* load (CFE hook-ups
# up to ~2 years) and causes peak-hour curtailment, "a flat cap below today's output is not how it binds"
# (leg_variability.md "power as a constraint"); for water it finds no sourced plant-level limit (IMCO: industry
# uses ~5 % of concessioned water; the ">35 % of northern parks near water limits" claim is unverified, corridors.csv
# MX_NATL_POWER). power_mw and water_m3_per_day are therefore each plant's need at full output (rounded up), so
# they never bind on their own; a scenario scales them (nl_power_cut, laredo_power_sweep in `nearshore scenarios`).
POWER_WATER_BASIS = "leg_variability.md power as a constraint; corridors.csv MX_NATL_POWER water_notes"

# --- roads ---------------------------------------------------------------------------------------
ROAD_KM_QUOTES = (  # road km quoted in corridors.csv nearest_border_poe -> Mexican road circuity (median)
    ("MX_MTY", "HUB_MX_NLD", 225), ("MX_SAL", "HUB_MX_NLD", 310), ("MX_CUU", "HUB_MX_CJS", 360),
    ("MX_CUU", "HUB_MX_OJI", 230), ("MX_HMO", "HUB_MX_NOG", 280), ("MX_QRO", "HUB_MX_NLD", 900),
    ("MX_SLP", "HUB_MX_NLD", 740), ("MX_AGS", "HUB_MX_NLD", 900), ("MX_BAJ", "HUB_MX_NLD", 1000),
    ("MX_PUE", "HUB_MX_NLD", 1250), ("MX_CDMX", "HUB_MX_NLD", 1150), ("MX_TLC", "HUB_MX_NLD", 1200),
    ("MX_GDL", "HUB_MX_NLD", 1000),
)
MX_TRUCK_KMH = 60.0  # est.: average on Mexican toll highways incl. toll booths and checkpoints
US_ROAD_CIRCUITY = 1.15  # us_markets.csv truck_time_method
# 50 mph average road speed (us_markets.csv truck_time_method, est.): 11 h x 50 mph = 550 mi per driving day, the
# middle of the industry's 500-600 mi/day (leg_variability.md "US trucking")
US_TRUCK_MPH = 50.0
US_TRUCK_KMH = US_TRUCK_MPH * KM_PER_MILE
# Hours of service (leg_variability.md "US trucking", FMCSA): at most 11 h driving within a 14-h on-duty window,
# a 30-min break once driving passes 8 h, then 10 h off. Used for every US and Mexican truck link (solo driver).
HOS_DRIVE_H = 11.0
HOS_WINDOW_H = 14.0
HOS_BREAK_AFTER_H, HOS_BREAK_H = 8.0, 0.5
HOS_OFF_H = 10.0
HOS_PATTERN = (r"(\d+) h driving within a (\d+) h window, a (\d+)-min break after (\d+) h, (\d+) h off")
LINEHAUL_DETOUR_KM = 700  # est.: truck link to every MX border hub at most this much further than the nearest one
MIN_TRUCK_KM = 10.0  # est.: local move when plant and hub are in the same city
DRAYAGE_KMH = 30.0  # est.: urban/border drayage speed
MIN_DRAYAGE_KM = 2.0  # est.
PLANT_RAIL_DRAY_MAX_KM = 170  # est.: a plant is drayed to every rail terminal or MX rail yard within this road distance

# --- border: crossings, hubs and their dwell -------------------------------------------------------
OPERATING_DAYS_PER_MONTH = 24  # ports_of_entry.csv capacity_method: peak month / 24 operating days x 1.2
TRUCK_PROCESSING_H = 0.5  # est.: CBP primary booth + expected secondary inspection (the queue wait is in crossings.csv)
RAIL_WINDOW_H = 4.0  # 4-h directional windows (RAIL_LRD capacity text): the window wait is uniform on 0-4 h
RAIL_WINDOW_WAIT_H = RAIL_WINDOW_H / 2  # mean of the uniform window wait (the rail wait curve's typical value)
RAIL_CROSSING_PROCESSING_H = 1.0  # est.: CBP inspection / crew change at a rail crossing (node dwell)
RAIL_CROSSING_DWELL_H = RAIL_WINDOW_WAIT_H + RAIL_CROSSING_PROCESSING_H  # modelled border time of a rail crossing
RAIL_STATED_TRAINS_PER_DAY = {  # both directions; ports_of_entry.csv rail_capacity_trains_per_day
    "RAIL_LRD": 26 * 2,  # ~26/day on the single bridge; 2nd bridge (Dec-2024) "more than doubles": taken as x2
    "RAIL_EGP": 20,  # "up to 20/day" (2025)
    "RAIL_ELP": 7.3,  # an Oct-2023 count, below 2024 traffic -> the headroom rule applies
}
NB_SHARE_OF_TRAIN_SLOTS = 0.5  # directional windows: half the slots northbound (est.)
RAIL_HEADROOM_WHERE_MISSING = 1.5  # est.: NB slots = 2024 NB trains/day x 1.5 where no usable capacity figure
MX_HUB_DWELL_H = 4.0  # est.: pedimento by the customs broker + expected red-light inspection (DOMAIN.md step 3)
# est.: handoff to a US carrier / transload; with the crossing ~0.5 day (us_markets.csv: "+0.5-1 day")
US_HUB_DWELL_H = 6.0
MX_RAIL_YARD_DWELL_H = 6.0  # est.: rail pedimento, SAT/VACIS inspection, train make-up at the border yard
US_RAIL_YARD_DWELL_H = 4.0  # est.: CBP release, crew change/interchange
RAIL_YARD_LINK_H = 0.25  # est.: yard to bridge
RAIL_TERMINAL_DWELL_H = 12.0  # est.: gate-in to departure with about daily trains
MARKET_DWELL_H = 0.0  # lead time ends on arrival at the market

# --- border queues: crossings.csv (wait curves of networks/queues.py; README "crossings.csv") -----------------
# est.: loads one CBP primary lane clears per open hour, ~2 min a truck (document/RFID check, radiation portal).
# Cross-check: the peak-2024 operating day over the open hours and the physical NB lanes gives ~15-40 trucks per
# lane-hour (Nogales 8 lanes ~15, Otay ~10 lanes ~29, WTB ~12 lanes ~40; lane counts from 2019 CBP wait-time
# notices): 30 is a booth working steadily, not the peak-day average.
CBP_PRIMARY_LOADS_PER_LANE_HOUR = 30.0
# est.: share of today's modelled NB volume that crosses in FAST lanes, where a POE has them. The modelled groups
# are C-TPAT-heavy OEM supply chains; the large POEs run about a third of their primary lanes as FAST (e.g. 4 FAST
# lanes at the World Trade Bridge) and FAST trucks clear faster, so a little under a third of the volume.
FAST_SHARE_OF_MODELLED_VOLUME = 0.30
# FAST lanes at a truck POE: the reference text names them (FAST wait or "FAST lane available"), or the POE is a
# major commercial one, daily_truck_capacity_est_nb >= this (the 11 POEs from BOTA (630/day) up; the next, Los
# Indios (440), is named in its notes; Del Rio (370) and below are treated as general lanes only).
FAST_MIN_DAILY_TRUCKS_NB = 500
FAST_TEXT_PATTERN = r"\bFAST\b"  # upper case only: "Fast-growing" (Eagle Pass notes) is not a FAST lane
FAST_WAIT_PATTERN = r"cargo standard (\d+) min, FAST (\d+) min"  # CBP BWT snapshot (Otay Mesa wait_source)
HOURS_PATTERN = r"(?:\b(M-F|Sat-Sun|Sat|Sun)\s+)?(\d{2}):(\d{2})-(\d{2}):(\d{2})"  # commercial_hours text
HOURS_DAYS = {"M-F": ("Mon", "Tue", "Wed", "Thu", "Fri"), "Sat-Sun": ("Sat", "Sun"), "Sat": ("Sat",), "Sun": ("Sun",)}
HOURS_DEFAULT_DAYS = "M-F"  # a time range without days ("Cargo 06:00-24:00") is a weekday schedule (est.)
RAIL_SLOT_HOURS = 24.0  # a train slot is one NB train path a day: loads_per_lane_hour = loads per train / 24 h
RAIL_OPEN_H_PER_DAY = 24.0  # "24/7 rail operations" (ports_of_entry.csv commercial_hours of every rail crossing)

# --- Mexican rail line capacity (links.csv capacity_loads_per_day of the RL_* links) -----------------------
# NB trains/day x loads per train. Basis per link: "celaya" = the ~34 trains/day through Celaya (rail_links.csv
# RL_CDMX_NLD bottleneck_notes, RL_CELAYA) for lines through the Bajio; a crossing id = that border bridge's NB
# train slots (rail_nb_slots: Laredo 26, Eagle Pass 10), the figure rail_links.csv gives for the line feeding it;
# "single_track" = SINGLE_TRACK_TRAINS_PER_DAY where the reference gives only traffic counts; "manzanillo" =
# the Ferromex 14 trains/week plan (RL_ZLO_GDL). The bridge itself is the crossing node's limit.
RAIL_LINK_CAPACITY_BASIS = {
    "RL_MTY_NLD": "RAIL_LRD", "RL_SAL_NLD": "RAIL_LRD", "RL_SLP_NLD": "RAIL_LRD",  # CPKC NE line into Laredo
    "RL_TRC_PNE": "RAIL_EGP", "RL_MTY_PNE": "RAIL_EGP", "RL_BAJ_PNE": "RAIL_EGP",  # Ferromex via Monclova
    "RL_CDMX_NLD": "celaya", "RL_BAJ_NLD": "celaya", "RL_LZC_CDMX": "celaya", "RL_LZC_NLD": "celaya",
    "RL_GDL_NOG": "single_track", "RL_CUU_CJS": "single_track", "RL_MTY_MAT": "single_track",
    "RL_ZLO_GDL": "manzanillo",
}
CELAYA_PATTERN = r"~(\d+) trains/day through Celaya"  # rail_links.csv RL_CDMX_NLD bottleneck_notes
# est.: trains/day both directions of a single-track Mexican mainline with passing sidings. Anchors in the
# reference set: Laredo's single-track bridge ran ~26/day with 4-h directional windows, Eagle Pass's 16-20/day;
# a line with sidings every ~15-20 km runs a little below a short bridge's windows. Above every 2024 count
# at the crossings these lines feed (Nogales 2.7, El Paso 4.0, Brownsville 2.7 NB trains/day).
SINGLE_TRACK_TRAINS_PER_DAY = 24.0
PORT_RAIL_ORIGINS = ("Manzanillo_MX", "Lazaro_Cardenas")  # links from a port carry INTERMODAL_TRAIN_LOADS per train

# --- rail ---------------------------------------------------------------------------------------
RAIL_CIRCUITY = 1.25  # reference README: rail km = great-circle x 1.25
SALTILLO_NLD_RAIL_KM = 363.1  # ARTF alignment Saltillo-Nuevo Laredo on CPKC (rail_links.csv RL_MTY_NLD km_method)
MONTERREY_NLD_RAIL_KM = 280.0  # "implies ~280 km Monterrey-NLD" (same)
MMX_SLP_CHICAGO_H = 98.0  # CPKC MMX San Luis Potosi-Chicago (corridors.csv MX_SLP; rail_links.csv RL_CDMX_NLD)
MMX_SLP_LAREDO_H = 36.0  # "SLP->Laredo ~36" (rail_links.csv RL_CDMX_NLD)
LINKS_INCLUDING_BORDER = ("RL_MTY_NLD", "RL_SLP_NLD", "RL_CDMX_NLD", "RL_LZC_NLD")  # hours run to the US yard
INTERMODAL_TRAIN_LOADS = 100  # est.: boxes on a Mexican port double-stack train (used for port rail figures)
MANZANILLO_TRAINS_PER_WEEK = 14  # Ferromex plan (rail_links.csv RL_ZLO_GDL)
LC_ON_DOCK_TRAINS_PER_DAY = 4  # APM Lazaro Cardenas on-dock rail capacity (rail_links.csv RL_LZC_CDMX)

# --- ocean and seaports -------------------------------------------------------------------------
ORIGIN_PORT_DWELL_H = 48.0  # est.: gate-in to sailing (container-yard cut-off 1-2 days before departure)
# Late vessels are a delay event of the ocean link, not part of transit_h: delay_prob = 1 - on-time share and
# delay_h = days late of late vessels, both parsed from the reliability row (Reference.vessel_reliability)
VESSEL_DELAY_DAYS_BY_PORT = {"Houston": 3.4}  # Houston mean arrival delay (same row): delay_h = 3.4 d / delay_prob
CANAL_WAIT_DAYS = 1.0  # Panama canal waits "0-2+ days" (Houston/Savannah notes): midpoint
CANAL_WAIT_P95_DAYS = 2.0  # top of the "0-2+ days" range, taken as the p95
CANAL_PORTS = ("Houston", "Savannah")
HCMC_TRANSSHIP_DAYS = 5.0  # "Many HCMC services transship ... ~3-7 days": midpoint
HCMC_TRANSSHIP_P95_DAYS = 7.0  # top of the "~3-7 days" range, taken as the p95
# Service rotation (leg_variability.md "service rotation"): Oakland is the second US call of loops that call LA/LB
# first, so its scheduled transit is the first call's leg + the vessel's berth time there + the coastal leg
# (seaports_and_ocean.csv coastal_leg row). The few first-call Oakland services (from 2021) are not modelled (est.).
SECOND_CALL_PORTS = {"Oakland": "Los_Angeles_Long_Beach"}  # port -> the first US call of its loops
BERTH_TIME_PATTERN = r"([\d.]+) h at Los Angeles and ([\d.]+) h at Long Beach"  # "vessel berth time": the mean of both
BERTH_TIME_TOP_PATTERN = r"([\d.]+) h and ([\d.]+) h in the"  # the 2014 congestion figures: the larger as the p95

# --- variability: p95s and delay events (README "Variability"); the typical values above are the medians ------
# The top of a quoted range is taken as the p95; spreads of independent parts of one leg combine as the root sum
# of squares of their (p95 - typical) excesses (exact for normal parts, close for mildly skewed ones).
PORT_DWELL_TOP_PATTERNS = {  # port -> regex of the truck-bound and rail-bound top in dest_port_dwell_days_text
    "Los_Angeles_Long_Beach": (r"truck [\d.]+-([\d.]+)", r"rail [\d.]+-([\d.]+)"),  # PMSA 2024 monthly
    "Oakland": (r"truck n/a \(est\. [\d.]+-([\d.]+)\)", r"rail [\d.]+-([\d.]+)"),
    "Seattle_Tacoma": (None, r"rail [\d.]+-([\d.]+)"),
    "Houston": (None, None),
    "Savannah": (r"([\d.]+) \(May-2022 congestion\)", r"([\d.]+) \(May-2022 congestion\)"),
    "Manzanillo_MX": (r"est\. [\d.]+-([\d.]+) days", None),
    "Lazaro_Cardenas": (r"est\. [\d.]+-([\d.]+) days", r"est\. [\d.]+-([\d.]+) days"),
}
CUSTOMS_TOP_PATTERN = r"[\d.]+-([\d.]+) days typical"  # US ports: "1-3 days typical"
US_EXAM_PATTERN = r"\+([\d.]+)-([\d.]+) days if examined \(~([\d.]+)% exam rate\)"  # "+3-7 days ... (~3% ...)"
MX_RED_LIGHT_PATTERN = r"red-light secondary review \+([\d.]+)-([\d.]+) days"  # Mexican ports
MX_RED_LIGHT_PROB = 0.03  # est.: no Mexican red-light rate in the reference set; the US exam rate (~3%) is used
INLAND_ROAD_MI_PATTERN = r"~([\d,]+) road mi"  # inland_leg truck text, e.g. "~2,015 road mi: ~4 days solo"
INLAND_RAIL_RANGE_PATTERN = r"(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?) days"  # inland_leg text, e.g. "4-6 days"
P95 = 0.95  # the quantile of a p95: a uniform 0-W wait has its p95 at P95 x W
P95_Z = 1.6448536269514722  # the standard normal 95th percentile: a lognormal's p95 = median x exp(P95_Z x sigma)
Z95 = 1.6448536269514722  # standard normal 95th percentile (documents the lognormal in the README table)
SEAPORTS = (  # id, name, country, region, lat, lon (coordinates est.: port location, display and truck distances)
    ("Los_Angeles_Long_Beach", "Los Angeles / Long Beach (San Pedro Bay)", "US", "CA", 33.75, -118.22),
    ("Oakland", "Oakland", "US", "CA", 37.80, -122.30),
    ("Seattle_Tacoma", "Seattle / Tacoma (NWSA)", "US", "WA", 47.43, -122.38),
    ("Houston", "Houston (Barbours Cut / Bayport)", "US", "TX", 29.64, -95.02),
    ("Savannah", "Savannah (Garden City)", "US", "GA", 32.12, -81.14),
    ("Manzanillo_MX", "Manzanillo", "MX", "Colima", 19.0522, -104.3158),  # SimpleMaps (reference build_dataset.py XY)
    ("Lazaro_Cardenas", "Lazaro Cardenas", "MX", "Michoacan", 17.9561, -102.1922),  # same
)
US_RAMPS = {  # every US seaport -> its on/near-dock rail ramp (rail_terminal node): intermodal rail from every port
    "Los_Angeles_Long_Beach": "Los_Angeles_Long_Beach_RAIL",
    "Oakland": "Oakland_RAIL",
    "Seattle_Tacoma": "Seattle_Tacoma_RAIL",
    "Houston": "Houston_RAIL",
    "Savannah": "Savannah_RAIL",
}
# Intermodal rail from a US port ramp (README "US rail"): the quoted inland_leg time where the reference has one
# (port-to-ramp as quoted; a "ship-to-X" figure already holds the port's rail-bound dwell, which is taken off),
# else rail km at the port-to-ramp speed of the quoted LA/LB legs, to every market at least this far by rail.
# est.: domestic intermodal competes with truck beyond ~750 mi; shorter port-to-market moves go by truck.
INTERMODAL_MIN_RAIL_KM = 1200.0
SHIP_TO_PATTERN = r"ship-to-"  # inland_leg text of a figure that starts at the vessel, not at the port gate
ORIGINS = (  # id, name, country, lat, lon (coordinates est.: port location, display only)
    ("Shanghai", "Shanghai", "CN", 31.23, 121.49),
    ("Shenzhen_Yantian", "Shenzhen (Yantian)", "CN", 22.57, 114.27),
    ("Ningbo", "Ningbo-Zhoushan", "CN", 29.93, 121.85),
    ("Busan", "Busan", "KR", 35.10, 129.04),
    ("Kaohsiung", "Kaohsiung", "TW", 22.61, 120.28),
    ("Ho_Chi_Minh_City", "Ho Chi Minh City (Cat Lai)", "VN", 10.76, 106.79),
)
# Asian supply: each origin's share of US import TEUs (leg_variability.md "Asian origins": China over 41 %, other
# Asia about 32 %, 2024) x the modelled US demand of a commodity; a country group's share is split equally among
# its origin ports in ORIGINS (est.: the reference gives no port split). No single origin can serve all demand.
ASIA_SHARE_PATTERN = r"China was over ([\d.]+) % of US import TEUs in 2024, other Asia about ([\d.]+) %"

# --- costs (all est., 2024 USD) -------------------------------------------------------------------
MX_TRUCK_USD_PER_KM = 1.80  # Mexican full-truckload linehaul incl. tolls
US_TRUCK_USD_PER_KM = 1.50  # ~US$2.40/mile dry-van contract rate
DRAYAGE_FLAT_USD = 100.0  # per drayage move (bridge tolls, handling)
DRAYAGE_USD_PER_KM = 2.50
RAIL_USD_PER_KM = 0.85  # intermodal, per 40-ft box
# ocean: 2024-25 transpacific contract rates per FEU (leg_variability.md "ocean rates"): the midpoint of the West
# Coast range, the East Coast premium on top. Each port's coast:
#   west:   LA/LB, Oakland, Seattle/Tacoma
#   east:   Savannah; Houston (est.: Gulf all-water services run through the Panama Canal like the East Coast ones)
#   mexico: Manzanillo, Lazaro Cardenas (est.: the West Coast contract x the Xeneta mid-2024 spot ratio
#           Shanghai-Manzanillo / Shanghai-Long Beach, seaports_and_ocean.csv port_throughput row)
# All Asian origins pay their coast's transpacific rate (est.: the reference quotes rates by coast, not by origin).
OCEAN_RATE_PATTERN = (r"USD ([\d,]+)\W([\d,]+)/FEU to the West Coast; East Coast contracts about USD ([\d,]+) more")
PORT_COAST = {"Los_Angeles_Long_Beach": "west", "Oakland": "west", "Seattle_Tacoma": "west", "Houston": "east",
              "Savannah": "east", "Manzanillo_MX": "mexico", "Lazaro_Cardenas": "mexico"}

# --- network layout -------------------------------------------------------------------------------
MX_TRUCK_HUBS = (  # id, name, region, coordinates taken from (corridors.csv node or ports_of_entry.csv poe)
    ("HUB_MX_TIJ", "Tijuana yards", "Baja California", "MX_TIJ"),
    ("HUB_MX_MXL", "Mexicali yards", "Baja California", "MX_MXL"),
    ("HUB_MX_SLRC", "San Luis Rio Colorado yards", "Sonora", "POE_SLU"),
    ("HUB_MX_NOG", "Nogales (Son.) yards", "Sonora", "POE_NOG"),
    ("HUB_MX_AGP", "Agua Prieta yards", "Sonora", "POE_DOUG"),
    ("HUB_MX_PAL", "Puerto Palomas yards", "Chihuahua", "POE_COL"),
    ("HUB_MX_CJS", "Ciudad Juarez yards", "Chihuahua", "MX_CJS"),
    ("HUB_MX_OJI", "Ojinaga yards", "Chihuahua", "POE_PRE"),
    ("HUB_MX_ACU", "Ciudad Acuna yards", "Coahuila", "POE_DLR"),
    ("HUB_MX_PNE", "Piedras Negras yards", "Coahuila", "POE_EGP"),
    ("HUB_MX_NLD", "Nuevo Laredo yards", "Tamaulipas", "MX_NLD"),
    ("HUB_MX_COL", "Colombia (N.L.) customs yards", "Nuevo Leon", "POE_COL_SOL"),  # NL's own crossing
    ("HUB_MX_MIG", "Miguel Aleman / Camargo yards", "Tamaulipas", "POE_ROMA"),
    ("HUB_MX_REY", "Reynosa yards", "Tamaulipas", "MX_REY"),
    ("HUB_MX_MAT", "Matamoros yards", "Tamaulipas", "MX_MAT"),
)
US_TRUCK_HUBS = (  # id, name, region, coordinates from; laredo/el_paso/otay_mesa = us_markets.csv truck-hour columns
    ("HUB_US_SD", "San Diego / Otay Mesa yards", "CA", "POE_OTAY", "otay_mesa"),
    ("HUB_US_CXL", "Calexico yards", "CA", "POE_CXE", None),
    ("HUB_US_SLU", "San Luis (AZ) yards", "AZ", "POE_SLU", None),
    ("HUB_US_NOG", "Nogales (AZ) yards", "AZ", "POE_NOG", None),
    ("HUB_US_DOU", "Douglas yards", "AZ", "POE_DOUG", None),
    ("HUB_US_COL", "Columbus (NM) yards", "NM", "POE_COL", None),
    ("HUB_US_ELP", "El Paso yards", "TX", "POE_YSL", "el_paso"),
    ("HUB_US_PRE", "Presidio yards", "TX", "POE_PRE", None),
    ("HUB_US_DLR", "Del Rio yards", "TX", "POE_DLR", None),
    ("HUB_US_EGP", "Eagle Pass yards", "TX", "POE_EGP", None),
    ("HUB_US_LRD", "Laredo yards", "TX", "POE_WTB", "laredo"),
    ("HUB_US_RGC", "Rio Grande City / Roma yards", "TX", "POE_RGC", None),
    ("HUB_US_PHR", "Pharr / McAllen yards", "TX", "POE_PHR", None),
    ("HUB_US_BRO", "Brownsville yards", "TX", "POE_VET", None),
)
RAIL_YARDS = (  # rail crossing -> (MX yard id, MX yard name, MX region, US yard id, US yard name, US truck hub)
    ("RAIL_LRD", "HUB_MX_NLD_RAIL", "Nuevo Laredo rail yard (CPKC de Mexico)", "Tamaulipas",
     "HUB_US_LRD_RAIL", "Laredo rail yard (CPKC/UP)", "HUB_US_LRD"),
    ("RAIL_EGP", "HUB_MX_PNE_RAIL", "Piedras Negras rail yard (Ferromex)", "Coahuila",
     "HUB_US_EGP_RAIL", "Eagle Pass rail yard (UP)", "HUB_US_EGP"),
    ("RAIL_ELP", "HUB_MX_CJS_RAIL", "Ciudad Juarez rail yard (Ferromex)", "Chihuahua",
     "HUB_US_ELP_RAIL", "El Paso rail yard (BNSF/UP)", "HUB_US_ELP"),
    ("RAIL_BRO", "HUB_MX_MAT_RAIL", "Matamoros rail yard (CPKC de Mexico)", "Tamaulipas",
     "HUB_US_BRO_RAIL", "Brownsville rail yard (BRG, UP/BNSF)", "HUB_US_BRO"),
    ("RAIL_NOG", "HUB_MX_NOG_RAIL", "Nogales (Son.) rail yard (Ferromex)", "Sonora",
     "HUB_US_NOG_RAIL", "Nogales (AZ) rail yard (UP)", "HUB_US_NOG"),
    ("RAIL_CXE", "HUB_MX_MXL_RAIL", "Mexicali rail yard (Ferromex)", "Baja California",
     "HUB_US_CXL_RAIL", "Calexico rail yard (UP)", "HUB_US_CXL"),
    ("RAIL_SYS", "HUB_MX_TIJ_RAIL", "Tijuana rail yard (Baja California Railroad)", "Baja California",
     "HUB_US_SD_RAIL", "San Diego rail yard (SD&IV)", "HUB_US_SD"),
    ("RAIL_PRE", "HUB_MX_OJI_RAIL", "Ojinaga rail yard (Ferromex)", "Chihuahua",
     "HUB_US_PRE_RAIL", "Presidio rail yard (Texas Pacifico)", "HUB_US_PRE"),
)
TRUCK_CROSSING_HUBS = {  # truck POE -> (MX border-city hub, US hub)
    "POE_OTAY": ("HUB_MX_TIJ", "HUB_US_SD"), "POE_TECATE": ("HUB_MX_TIJ", "HUB_US_SD"),
    "POE_CXE": ("HUB_MX_MXL", "HUB_US_CXL"), "POE_SLU": ("HUB_MX_SLRC", "HUB_US_SLU"),
    "POE_NOG": ("HUB_MX_NOG", "HUB_US_NOG"), "POE_DOUG": ("HUB_MX_AGP", "HUB_US_DOU"),
    "POE_COL": ("HUB_MX_PAL", "HUB_US_COL"), "POE_STE": ("HUB_MX_CJS", "HUB_US_ELP"),
    "POE_YSL": ("HUB_MX_CJS", "HUB_US_ELP"), "POE_BOTA": ("HUB_MX_CJS", "HUB_US_ELP"),
    "POE_TOR": ("HUB_MX_CJS", "HUB_US_ELP"), "POE_PRE": ("HUB_MX_OJI", "HUB_US_PRE"),
    "POE_DLR": ("HUB_MX_ACU", "HUB_US_DLR"), "POE_EGP": ("HUB_MX_PNE", "HUB_US_EGP"),
    "POE_WTB": ("HUB_MX_NLD", "HUB_US_LRD"), "POE_COL_SOL": ("HUB_MX_COL", "HUB_US_LRD"),
    "POE_ROMA": ("HUB_MX_MIG", "HUB_US_RGC"), "POE_RGC": ("HUB_MX_MIG", "HUB_US_RGC"),
    "POE_PHR": ("HUB_MX_REY", "HUB_US_PHR"), "POE_PROG": ("HUB_MX_REY", "HUB_US_PHR"),
    "POE_LOSIND": ("HUB_MX_MAT", "HUB_US_BRO"), "POE_VET": ("HUB_MX_MAT", "HUB_US_BRO"),
}
RAIL_TERMINALS = (  # id, name, region, lat, lon, coordinate source
    ("RT_MTY", "Monterrey rail terminals (CPKC / Ferromex)", "Nuevo Leon", None, None, "MX_MTY"),
    ("RT_SAL", "Saltillo-Ramos Arizpe rail terminal", "Coahuila", None, None, "MX_SAL"),
    ("RT_SLP", "San Luis Potosi rail terminal (CPKC)", "San Luis Potosi", None, None, "MX_SLP"),
    ("RT_BAJ", "Bajio rail terminal (Silao Puerto Interior / Celaya)", "Guanajuato", 20.9478, -101.4281,
     "Silao coords, corridors.csv MX_BAJ notes"),
    ("RT_CDMX", "Valle de Mexico rail terminals (Ferrovalle)", "Estado de Mexico", None, None, "MX_CDMX"),
    ("RT_GDL", "Guadalajara rail terminal (Ferromex)", "Jalisco", None, None, "MX_GDL"),
    ("RT_CUU", "Chihuahua rail terminal (Ferromex)", "Chihuahua", None, None, "MX_CUU"),
    ("RT_TRC", "Torreon rail terminal (Ferromex)", "Coahuila", 25.5394, -103.4486,
     "SimpleMaps coords of Torreon (reference-data/build_dataset.py)"),
)
RAIL_LINK_ENDS = {  # rail_links.csv link_id -> (from node, to node); RL_CELAYA is a point, not a link
    "RL_MTY_NLD": ("RT_MTY", "HUB_MX_NLD_RAIL"),
    "RL_CDMX_NLD": ("RT_CDMX", "HUB_MX_NLD_RAIL"),
    "RL_GDL_NOG": ("RT_GDL", "HUB_MX_NOG_RAIL"),
    "RL_CUU_CJS": ("RT_CUU", "HUB_MX_CJS_RAIL"),
    "RL_TRC_PNE": ("RT_TRC", "HUB_MX_PNE_RAIL"),
    "RL_MTY_PNE": ("RT_MTY", "HUB_MX_PNE_RAIL"),
    "RL_LZC_CDMX": ("Lazaro_Cardenas", "RT_CDMX"),
    "RL_LZC_NLD": ("Lazaro_Cardenas", "HUB_MX_NLD_RAIL"),
    "RL_ZLO_GDL": ("Manzanillo_MX", "RT_GDL"),
    "RL_MTY_MAT": ("RT_MTY", "HUB_MX_MAT_RAIL"),
}
RAIL_HOURS_TEXT_PART = {"RL_CDMX_NLD": "Mexico City->Laredo"}  # which part of typical_transit_hours to read
RAIL_HOURS_FROM_KM = ("RL_MTY_PNE",)  # typical_transit_hours is not a leg time ("Monterrey->Toronto 8 days")
MARKET_IDS = {  # us_markets.csv market -> node id
    "Dallas-Fort Worth": "US_DFW", "Houston": "US_HOU", "San Antonio": "US_SAT", "Chicago": "US_CHI",
    "Detroit": "US_DET", "Atlanta": "US_ATL", "Los Angeles / Inland Empire": "US_LAX", "Phoenix": "US_PHX",
    "Memphis": "US_MEM", "Nashville": "US_BNA", "Columbus (OH)": "US_CMH", "Kansas City": "US_MCI",
    "Indianapolis": "US_IND", "Louisville": "US_SDF", "Charlotte": "US_CLT",
}
US_BORDER_RAIL_TO_MARKETS = (  # (US rail yard, market): CPKC / UP intermodal from the border
    ("HUB_US_LRD_RAIL", "US_CHI"),  # CPKC MMX: hours = SLP-Chicago 98 h - SLP-Laredo 36 h
    ("HUB_US_LRD_RAIL", "US_MCI"),  # CPKC single line to Kansas City (rail_links.csv us_connection); est. hours
    ("HUB_US_EGP_RAIL", "US_CHI"),  # UP "Eagle Premium" (rail_links.csv RL_MTY_PNE); est. hours
)

# --- output ----------------------------------------------------------------------------------------
NODE_COLUMNS = ("id", "name", "kind", "country", "region", "lat", "lon", "throughput_loads_per_day", "dwell_h",
                "dwell_p95_h", "delay_prob", "delay_h", "power_mw", "water_m3_per_day", "shock_domain", "source")
LINK_COLUMNS = ("id", "from", "to", "mode", "transit_h", "transit_p95_h", "delay_prob", "delay_h",
                "capacity_loads_per_day", "cost_usd_per_load", "distance_km", "shock_domain", "source")
TARIFF_COLUMNS = ("country", "commodity", "duty_pct", "illustrative", "basis", "source")
COMMODITY_COLUMNS = ("id", "name", "value_usd_per_load", "power_mwh_per_load", "water_m3_per_load", "fast_eligible",
                     "source")
CROSSING_COLUMNS = ("node", "lane_type", "lanes", "loads_per_lane_hour", "open_h_per_day", "reference_loads_per_day",
                    "reference_lanes", "background_loads_per_day", "wait_typical_h", "wait_p95_h", "weekly_hours",
                    "source")
LEG_COLUMNS = ("element", "part", "commodity", "prob", "typical_h", "p95_h", "estimate", "source")
CALENDAR_COLUMNS = ("node", "calendar", "weekly", "cutoff_h", "miss_prob", "estimate", "source")
REGIME_COLUMNS = ("domain", "state", "to_normal", "to_peak", "to_disrupted", "time_scale", "event_scale",
                  "closure_prob", "closure_h", "seasonal_amplitude", "peak_week", "estimate", "source")
SUPPLY_COLUMNS = ("node", "commodity", "capacity_loads_per_day", "source")
DEMAND_COLUMNS = ("node", "commodity", "loads_per_day", "source")

SRC_DOMAIN = "est. (nearshore DOMAIN.md)"
SRC_SIMPLEMAPS = "SimpleMaps World Cities Database (basic, CC BY 4.0)"

Row = dict[str, object]


# ================================================================================================
# Helpers
# ================================================================================================


def read_reference(folder: Path) -> dict[str, pl.DataFrame]:
    """The five reference CSV tables, every cell as text (empty cell = null)."""
    names = ("corridors", "ports_of_entry", "rail_links", "seaports_and_ocean", "us_markets")
    return {name: pl.read_csv(folder / f"{name}.csv", infer_schema=False) for name in names}


def rows(frame: pl.DataFrame) -> list[dict[str, str | None]]:
    """The rows of a text table as dicts."""
    return list(frame.iter_rows(named=True))


def num(text: str | None) -> float | None:
    """A number cell as float (None when empty); thousands separators allowed."""
    if text is None or not text.strip():
        return None
    return float(text.replace(",", ""))


def first_number(pattern: str, text: str) -> float:
    """The first capture group of ``pattern`` in ``text`` as a number; fails loudly if absent."""
    match = re.search(pattern, text)
    if match is None:
        raise ValueError(f"reference text changed: {pattern!r} not found in {text[:120]!r}")
    return float(match.group(1).replace(",", ""))


def first_numbers(pattern: str, text: str) -> list[float]:
    """All capture groups of ``pattern`` in ``text`` as numbers; fails loudly if absent."""
    match = re.search(pattern, text)
    if match is None:
        raise ValueError(f"reference text changed: {pattern!r} not found in {text[:120]!r}")
    return [float(g.replace(",", "")) for g in match.groups()]


def read_leg_figures(folder: Path) -> dict[str, tuple[str, str]]:
    """The rows of leg_variability.md's tables: item -> (figure, source)."""
    out = {}
    for line in (folder / "leg_variability.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and not set(cells[0]) <= set("-"):
            out[cells[0]] = (cells[1], cells[2])
    return out


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points."""
    p = math.pi / 180
    h = (math.sin((b[0] - a[0]) * p / 2) ** 2
         + math.cos(a[0] * p) * math.cos(b[0] * p) * math.sin((b[1] - a[1]) * p / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def node_km(a: Row, b: Row) -> float:
    """Great-circle distance between two node rows."""
    return haversine_km((a["lat"], a["lon"]), (b["lat"], b["lon"]))


def truck_hours(road_km: float, speed_kmh: float) -> float:
    """Solo-driver hours of a truck leg under hours of service, the one method of every truck link.

    Driving ``road_km / speed_kmh`` is split into days of at most HOS_DRIVE_H (11 h). Every day but the
    last uses its whole HOS_WINDOW_H (14 h) window (11 h driving, the 30-min break, 2.5 h other on duty:
    inspection, fuel, waits) and is followed by HOS_OFF_H (10 h) off, so it takes 24 h. The last day
    takes its driving plus the 30-min break if it drives more than HOS_BREAK_AFTER_H (8 h).

    >>> truck_hours(800.0, 80.0)  # 10 h driving, one day with the break
    10.5
    >>> truck_hours(1760.0, 80.0)  # 22 h driving: a full day (24 h) and an 11-h day (11.5 h)
    35.5
    """
    drive = road_km / speed_kmh
    days = max(1, math.ceil(drive / HOS_DRIVE_H - 1e-9))
    last = drive - HOS_DRIVE_H * (days - 1)
    return (days - 1) * (HOS_WINDOW_H + HOS_OFF_H) + last + (HOS_BREAK_H if last > HOS_BREAK_AFTER_H else 0.0)


def hos_text(speed_kmh: float) -> str:
    """The method text of :func:`truck_hours` for a ``source`` cell."""
    return (f"hours of service: {HOS_DRIVE_H:g} h driving in a {HOS_WINDOW_H:g}-h window, {HOS_BREAK_H * 60:g}-min "
            f"break after {HOS_BREAK_AFTER_H:g} h, {HOS_OFF_H:g} h off (FMCSA, leg_variability.md; each full day uses "
            f"its whole window, est.), at {speed_kmh:.1f} km/h average road speed")


def check_hours_of_service(legs: dict[str, tuple[str, str]]) -> None:
    """Fail loudly if the HOS constants differ from the rule quoted in leg_variability.md ("US trucking")."""
    found = tuple(first_numbers(HOS_PATTERN, legs["US trucking"][0]))
    expected = (HOS_DRIVE_H, HOS_WINDOW_H, HOS_BREAK_H * 60, HOS_BREAK_AFTER_H, HOS_OFF_H)
    if found != expected:
        raise ValueError(f"leg_variability.md 'US trucking' gives hours of service {found}, the builder uses {expected}")


def drayage(km: float) -> tuple[float, float, float]:
    """(distance km, hours, USD) of a short drayage move."""
    km = max(km, MIN_DRAYAGE_KM)
    return km, km / DRAYAGE_KMH, DRAYAGE_FLAT_USD + DRAYAGE_USD_PER_KM * km


def fmt(value: object, decimals: int = 2) -> str:
    """A CSV cell: numbers rounded to ``decimals`` without trailing zeros; None -> empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | int) and not isinstance(value, bool):
        text = f"{float(value):.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    return str(value)


def midpoint_hours(text: str) -> float:
    """Hours from a typical_transit_hours text: 'A-B' -> midpoint, '~A' -> A."""
    match = re.search(r"(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)", text)
    if match:
        return (float(match.group(1)) + float(match.group(2))) / 2
    return first_number(r"(\d+(?:\.\d+)?)", text)


def node(id_: str, name: str, kind: str, country: str, region: str | None, lat: float, lon: float,
         source: str, *, throughput: float | None = None, dwell_h: float = 0.0,
         power_mw: float | None = None, water: float | None = None) -> Row:
    """One nodes.csv row."""
    return {"id": id_, "name": name, "kind": kind, "country": country, "region": region, "lat": lat, "lon": lon,
            "throughput_loads_per_day": throughput, "dwell_h": dwell_h, "power_mw": power_mw,
            "water_m3_per_day": water, "dwell_p95_h": None, "delay_prob": None, "delay_h": None, "source": source}


def link(id_: str, frm: str, to: str, mode: str, transit_h: float, cost: float, distance_km: float | None,
         source: str, *, capacity: float | None = None) -> Row:
    """One links.csv row."""
    return {"id": id_, "from": frm, "to": to, "mode": mode, "transit_h": transit_h,
            "capacity_loads_per_day": capacity, "cost_usd_per_load": cost, "distance_km": distance_km,
            "transit_p95_h": None, "delay_prob": None, "delay_h": None, "source": source}


# ================================================================================================
# Derived constants (computed from the reference tables, documented in README)
# ================================================================================================


class Reference:
    """The reference tables plus the lookups and derived figures the builders share."""

    def __init__(self, tables: dict[str, pl.DataFrame], legs: dict[str, tuple[str, str]]) -> None:
        self.legs = legs  # leg_variability.md rows: item -> (figure, source)
        self.corridors = {r["node_id"]: r for r in rows(tables["corridors"])}
        self.poes = {r["poe_id"]: r for r in rows(tables["ports_of_entry"])}
        self.rail_links = {r["link_id"]: r for r in rows(tables["rail_links"])}
        self.sea = rows(tables["seaports_and_ocean"])
        self.markets = rows(tables["us_markets"])
        self.coords: dict[str, tuple[float, float]] = {}
        for table in (self.corridors, self.poes):
            for id_, r in table.items():
                if r["lat"] is not None:
                    self.coords[id_] = (num(r["lat"]), num(r["lon"]))

    # --- volumes -----------------------------------------------------------------------------
    def truck_poes(self) -> list[dict]:
        return [r for r in self.poes.values() if r["mode"] == "truck"]

    def rail_poes(self) -> list[dict]:
        return [r for r in self.poes.values() if r["mode"] == "rail"]

    def nb_trucks_per_day(self) -> float:
        """All NB trucks per day, 2024 (BTS/UNT, sum over the truck crossings)."""
        return sum(num(r["nb_trucks_2024"]) for r in self.truck_poes()) / DAYS_PER_YEAR

    def mx_modelled_loads_per_day(self) -> float:
        """Loads/day of the modelled goods that crossed northbound by truck in 2024."""
        return self.nb_trucks_per_day() * LOADED_SHARE_NB_TRUCKS * MODELLED_SHARE_OF_LOADED

    def total_demand(self) -> float:
        """US demand (loads/day) for the modelled goods, served by Mexico or Asia."""
        return self.mx_modelled_loads_per_day() / MX_SHARE_OF_DEMAND

    def park_counts(self) -> tuple[float, float]:
        """(operating, under construction) AMPIP industrial parks, corridors.csv national row."""
        text = self.corridors["MX_NATL_POWER"]["power_notes"]
        return first_number(r"(\d[\d,]*) parks run", text), first_number(r"(\d[\d,]*) parks under construction", text)

    def nearshoring_headroom(self) -> float:
        """Capacity growth factor: (operating + under-construction parks) / operating parks."""
        operating, building = self.park_counts()
        return (operating + building) / operating

    def mx_supply_total(self) -> float:
        """Mexico's capacity for the modelled goods (loads/day): 2024 flow x nearshoring headroom."""
        return self.mx_modelled_loads_per_day() * self.nearshoring_headroom()

    def loads_per_train(self) -> float:
        """Loaded NB rail containers per NB train, 2024, all rail crossings (BTS)."""
        boxes = sum(num(r["nb_rail_containers_loaded_2024"]) or 0 for r in self.rail_poes())
        trains = sum(num(r["nb_trains_2024"]) or 0 for r in self.rail_poes())
        return boxes / trains

    # --- geography -----------------------------------------------------------------------------
    def mx_road_circuity(self, hub_coords: dict[str, tuple[float, float]]) -> float:
        """Median of quoted road km / great-circle km for the pairs in ROAD_KM_QUOTES."""
        ratios = [km / haversine_km(self.coords[p], hub_coords[h]) for p, h, km in ROAD_KM_QUOTES]
        return statistics.median(ratios)

    def rail_km(self, a: tuple[float, float], b: tuple[float, float]) -> float:
        return haversine_km(a, b) * RAIL_CIRCUITY

    # --- ocean ------------------------------------------------------------------------------------
    def throughput_row(self) -> dict:
        return next(r for r in self.sea if r["record_type"] == "port_throughput")

    def ocean_quotes_usd(self) -> dict[tuple[str, str], float]:
        """Spot US$/FEU quotes (Xeneta, mid-2024) from the Manzanillo port_throughput row."""
        text = self.throughput_row()["notes"]
        return {("Shanghai", "Manzanillo_MX"): first_number(r"Shanghai-Manzanillo spot US\$([\d,]+)/FEU", text),
                ("Shanghai", "Los_Angeles_Long_Beach"): first_number(r"vs US\$([\d,]+) to Long Beach", text)}

    def second_call(self, first: dict[str, str | None], port: str) -> tuple[float, float, str, float]:
        """A second-call port's scheduled leg from the first call's ``ocean_leg`` row: (days, nm, how, the
        p95 excess in days): the first call's computed days + the mean berth time there + the coastal leg."""
        coastal = next(r for r in self.sea if r["record_type"] == "coastal_leg"
                       and r["origin"] == first["destination"] and r["destination"] == port)
        figure, source = self.legs["vessel berth time"]
        berth_h = sum(first_numbers(BERTH_TIME_PATTERN, figure)) / 2
        top_h = max(first_numbers(BERTH_TIME_TOP_PATTERN, figure))
        days = num(first["transit_days_computed_16kn"]) + berth_h / 24 + num(coastal["transit_days_computed_16kn"])
        nm = num(first["sea_distance_nm"]) + num(coastal["sea_distance_nm"])
        how = (f"est.: scheduled as the second call after {first['destination']}, replacing the direct "
               f"{port} transit_days_computed_16kn (the few first-call {port} services are not modelled; the 2015-16 "
               f"berth time is taken for 2024) (leg_variability.md 'service rotation': "
               f"{self.legs['service rotation'][1]}): its transit_days_computed_16kn {first['transit_days_computed_16kn']} "
               f"+ berth {berth_h:g} h (p95 {top_h:g} h; 'vessel berth time': {source}) + coastal leg "
               f"{coastal['transit_days_computed_16kn']} d ({coastal['sea_distance_nm']} nm, {coastal['source']})")
        return days, nm, how, (top_h - berth_h) / 24

    def ocean_contract_usd(self) -> dict[str, tuple[float, str]]:
        """US$/FEU and method per coast (PORT_COAST) from the 2024-25 contract rates (leg_variability.md)."""
        figure, source = self.legs["ocean rates"]
        low, high, east = first_numbers(OCEAN_RATE_PATTERN, figure)
        west = (low + high) / 2
        spot = self.ocean_quotes_usd()
        ratio = spot["Shanghai", "Manzanillo_MX"] / spot["Shanghai", "Los_Angeles_Long_Beach"]
        text = f"2024-25 transpacific contract, West Coast US${low:,.0f}-{high:,.0f}/FEU (midpoint)"
        return {"west": (west, f"{text}; {source}"),
                "east": (west + east, f"{text} + East Coast premium US${east:,.0f}; {source}"),
                "mexico": (west * ratio, (f"est.: {text} x {ratio:.3f}, the Xeneta mid-2024 spot ratio "
                                          f"Shanghai-Manzanillo / Shanghai-Long Beach; {source} ; "
                                          f"{self.throughput_row()['source']}"))}

    def vessel_reliability(self) -> tuple[float, float]:
        """(on-time share, mean days late of late vessels), Asia -> North America, Jul-2024 (reliability row)."""
        text = next(r for r in self.sea if r["record_type"] == "reliability")["notes"]
        return (first_number(r"([\d.]+)% of Asia->North America vessel arrivals on time", text) / 100,
                first_number(r"LATE vessels avg ([\d.]+) days late", text))

    def port_dwell(self) -> dict[str, dict]:
        """Per destination port: truck/rail dwell days, customs days and their sources."""
        out: dict[str, dict] = {}
        for r in self.sea:
            if r["record_type"] == "ocean_leg" and r["destination"] not in out:
                out[r["destination"]] = r
        return out


def derived_speeds(ref: Reference, coords: dict[str, tuple[float, float]]) -> tuple[float, float, float]:
    """(net SLP->NLD rail hours, Mexican rail km/h, US rail km/h), all from the CPKC MMX schedule.

    The SLP->Laredo 36 h include the border, so the modelled border dwell is taken off; the Mexican
    speed is the SLP->Saltillo->Monterrey->NLD rail km over those net hours. Laredo->Chicago takes
    98 - 36 = 62 h; the US speed is its rail km over 62 h.
    """
    net_slp = MMX_SLP_LAREDO_H - border_rail_hours()
    slp_km = sum(ref.rail_km(coords[a], coords[b]) for a, b in (("MX_SLP", "MX_SAL"), ("MX_SAL", "MX_MTY"),
                                                                 ("MX_MTY", "MX_NLD")))
    laredo_chicago_km = ref.rail_km(coords["HUB_US_LRD_RAIL"], coords["US_CHI"])
    return net_slp, slp_km / net_slp, laredo_chicago_km / (MMX_SLP_CHICAGO_H - MMX_SLP_LAREDO_H)


def border_rail_hours() -> float:
    """Modelled hours from the MX rail yard into the US yard (taken off rail hours quoted 'to Laredo')."""
    return MX_RAIL_YARD_DWELL_H + RAIL_YARD_LINK_H + RAIL_CROSSING_DWELL_H + RAIL_YARD_LINK_H


# ================================================================================================
# Nodes
# ================================================================================================


def plant_nodes(ref: Reference) -> list[Row]:
    """The 18 Mexican industrial corridors as plants (power and water are filled in later)."""
    out = []
    for id_, r in ref.corridors.items():
        if id_ == "MX_NATL_POWER":
            continue
        lat, lon = ref.coords[id_]
        out.append(node(id_, r["name"], "plant", "MX", r["state"], lat, lon, r["source"], dwell_h=PLANT_DWELL_H))
    return out


def origin_nodes() -> list[Row]:
    """Asian origin ports (the comparison to nearshoring)."""
    return [node(id_, name, "origin", country, None, lat, lon,
                 f"est. port location; dwell {ORIGIN_PORT_DWELL_H:g} h gate-in to sailing (est.)",
                 dwell_h=ORIGIN_PORT_DWELL_H)
            for id_, name, country, lat, lon in ORIGINS]


def seaport_nodes(ref: Reference) -> list[Row]:
    """US and Mexican seaports, plus a rail ramp at every US seaport.

    Port dwell = the truck-bound dwell, with customs in parallel: entries are pre-cleared and the
    dwell ends at gate-out after release (leg_variability.md "customs"), so dwell_h = max(dwell,
    customs). The ramp adds (rail - truck) dwell, so a rail-bound box spends the rail dwell in total.
    Lazaro Cardenas ships north by rail only (on-dock rail), so its node dwell uses the rail dwell and
    its throughput is the on-dock rail capacity.
    """
    dwell, out = ref.port_dwell(), []
    parallel = ref.legs["customs"]
    for id_, name, country, region, lat, lon in SEAPORTS:
        r = dwell[id_]
        truck, rail, customs = (num(r["dest_port_dwell_days_truck"]), num(r["dest_port_dwell_days_rail"]),
                                num(r["customs_clearance_days_typical"]))
        throughput, extra = None, ""
        days = truck
        if id_ == "Lazaro_Cardenas":
            days = rail
            throughput = LC_ON_DOCK_TRAINS_PER_DAY * INTERMODAL_TRAIN_LOADS
            extra = (f"; throughput = {LC_ON_DOCK_TRAINS_PER_DAY} on-dock trains/day x {INTERMODAL_TRAIN_LOADS} "
                     f"loads/train (est.), {ref.rail_links['RL_LZC_CDMX']['source']}")
        if id_ == "Manzanillo_MX":
            t = ref.throughput_row()
            teu = first_number(r"Jan-Jul 2024: ([\d,]+) TEU", t["notes"])
            throughput = teu / JAN_JUL_2024_DAYS / TEU_PER_LOAD
            extra = (f"; throughput = {teu:,.0f} TEU Jan-Jul 2024 / {JAN_JUL_2024_DAYS} d / {TEU_PER_LOAD:g} TEU "
                     f"per load (all box moves), {t['source']}")
        mode = "rail" if id_ == "Lazaro_Cardenas" else "truck"
        source = (f"derived: dwell = max({mode}-bound dwell {days:g} d, customs {customs:g} d) x 24: customs runs "
                  f"in parallel with the dwell, which ends at gate-out after release (leg_variability.md customs: "
                  f"{parallel[1]}); {r['dwell_source']} ; {r['customs_source']}{extra}; coords est.")
        out.append(node(id_, name, "seaport", country, region, lat, lon, source,
                        throughput=throughput, dwell_h=max(days, customs) * 24))
        if id_ in US_RAMPS:
            out.append(node(US_RAMPS[id_], f"{name} rail ramp", "rail_terminal", country, region, lat, lon,
                            f"derived: dwell = (rail-bound {rail:g} d - truck-bound {truck:g} d) x 24 (the port node "
                            f"holds the truck-bound part); {r['dwell_source']}",
                            dwell_h=max(0.0, rail - max(truck, customs)) * 24))
    return out


def rail_terminal_nodes(ref: Reference) -> list[Row]:
    """Mexican inland rail terminals where northbound rail starts."""
    out = []
    for id_, name, region, lat, lon, coord_ref in RAIL_TERMINALS:
        if lat is None:
            lat, lon = ref.coords[coord_ref]
            coord_text = f"coords of {coord_ref} ({SRC_SIMPLEMAPS})"
        else:
            coord_text = coord_ref
        out.append(node(id_, name, "rail_terminal", "MX", region, lat, lon,
                        f"est. dwell {RAIL_TERMINAL_DWELL_H:g} h (gate-in to daily departure); {coord_text}; "
                        f"terminals per rail_links.csv", dwell_h=RAIL_TERMINAL_DWELL_H))
    return out


def hub_nodes(ref: Reference) -> list[Row]:
    """Border-city yards: MX truck hubs, US truck hubs, and MX/US rail yards at each rail crossing."""
    out = []
    for id_, name, region, coord_ref in MX_TRUCK_HUBS:
        lat, lon = ref.coords[coord_ref]
        out.append(node(id_, name, "hub", "MX", region, lat, lon,
                        f"est. dwell {MX_HUB_DWELL_H:g} h: export pedimento + red-light inspection ({SRC_DOMAIN}); "
                        f"coords of {coord_ref}", dwell_h=MX_HUB_DWELL_H))
    for id_, name, region, coord_ref, _ in US_TRUCK_HUBS:
        lat, lon = ref.coords[coord_ref]
        out.append(node(id_, name, "hub", "US", region, lat, lon,
                       f"est. dwell {US_HUB_DWELL_H:g} h: handoff to US carrier / transload (us_markets.csv: border + "
                       f"transload-drayage typically +0.5-1 day); coords of {coord_ref}", dwell_h=US_HUB_DWELL_H))
    for poe, mx_id, mx_name, mx_region, us_id, us_name, _ in RAIL_YARDS:
        lat, lon = ref.coords[poe]
        r = ref.poes[poe]
        out.append(node(mx_id, mx_name, "hub", "MX", mx_region, lat, lon,
                        f"est. dwell {MX_RAIL_YARD_DWELL_H:g} h: rail pedimento, SAT/VACIS, train make-up; "
                        f"coords of {poe}; railroads: {r['railroads']}", dwell_h=MX_RAIL_YARD_DWELL_H))
        out.append(node(us_id, us_name, "hub", "US", r["us_state"], lat, lon,
                        f"est. dwell {US_RAIL_YARD_DWELL_H:g} h: CBP release, crew change/interchange; coords of {poe}",
                        dwell_h=US_RAIL_YARD_DWELL_H))
    return out


def truck_background(r: dict, growth: float) -> float:
    """NB trucks/day at a truck POE that are not modelled freight (empties and other goods): their
    2024 level grown by ``growth``, the same nearshoring headroom as the modelled capacity."""
    traffic = num(r["nb_trucks_2024"]) / DAYS_PER_YEAR
    return traffic * (1 - LOADED_SHARE_NB_TRUCKS * MODELLED_SHARE_OF_LOADED) * growth


def truck_peak_background(r: dict, growth: float) -> float:
    """:func:`truck_background` in the crossing's peak 2024 month (``peak_month_nb_trucks_2024``): the
    capacity is a peak-month figure, and a steady modelled flow has to fit next to the peak month's
    other traffic too (seasonal produce, a growing crossing's latest months)."""
    traffic = num(r["peak_month_nb_trucks_2024"]) / CALENDAR_DAYS_PER_MONTH
    return traffic * (1 - LOADED_SHARE_NB_TRUCKS * MODELLED_SHARE_OF_LOADED) * growth


def truck_crossing_throughput(r: dict, growth: float) -> float:
    """Loads/day left for modelled freight at a truck POE: the calendar-day capacity (the
    operating-day estimate x 24 operating days per month) minus :func:`truck_peak_background`."""
    capacity = num(r["daily_truck_capacity_est_nb"]) * OPERATING_DAYS_PER_MONTH / CALENDAR_DAYS_PER_MONTH
    return max(0.0, capacity - truck_peak_background(r, growth))


def rail_nb_slots(r: dict) -> tuple[float, str]:
    """NB train slots per day at a rail crossing, and how they were obtained."""
    trains_2024 = (num(r["nb_trains_2024"]) or 0) / DAYS_PER_YEAR
    stated = RAIL_STATED_TRAINS_PER_DAY.get(r["poe_id"])
    if stated is not None and stated * NB_SHARE_OF_TRAIN_SLOTS >= trains_2024:
        how = f"{stated:g} trains/day both directions x {NB_SHARE_OF_TRAIN_SLOTS:g} NB"
        return stated * NB_SHARE_OF_TRAIN_SLOTS, how
    return trains_2024 * RAIL_HEADROOM_WHERE_MISSING, (
        f"2024 NB trains {trains_2024:.2f}/day x {RAIL_HEADROOM_WHERE_MISSING:g} headroom")


def rail_crossing_throughput(r: dict, loads_per_train: float, growth: float) -> tuple[float, str]:
    """Loads/day left for modelled freight at a rail crossing, and the method text.

    NB slots x loads per train, minus the traffic that is not modelled freight (2024 trains in
    loads, less the modelled share of the 2024 loaded NB boxes), grown by ``growth``.
    """
    slots, how = rail_nb_slots(r)
    trains_2024 = (num(r["nb_trains_2024"]) or 0) / DAYS_PER_YEAR
    loaded = (num(r["nb_rail_containers_loaded_2024"]) or 0) / DAYS_PER_YEAR
    value = max(0.0, slots * loads_per_train - rail_background(r, loads_per_train, growth))
    return value, (f"{how}; x {loads_per_train:.1f} loads/train (BTS 2024 loaded NB boxes per NB train) minus "
                   f"non-modelled traffic ({trains_2024:.2f} trains/day x loads/train - {MODELLED_SHARE_OF_LOADED:g} x "
                   f"{loaded:.0f} loaded boxes/day) x growth {growth:.3f}")


def rail_background(r: dict, loads_per_train: float, growth: float) -> float:
    """Loads/day of a rail crossing's 2024 NB trains that are not modelled freight, grown by ``growth``."""
    trains_2024 = (num(r["nb_trains_2024"]) or 0) / DAYS_PER_YEAR
    loaded = (num(r["nb_rail_containers_loaded_2024"]) or 0) / DAYS_PER_YEAR
    return max(0.0, trains_2024 * loads_per_train - loaded * MODELLED_SHARE_OF_LOADED) * growth


def total_traffic_2024(r: dict, loads_per_train: float) -> float:
    """All NB loads/day through a crossing in 2024, modelled or not: NB trucks, or NB trains x loads per train."""
    if r["mode"] == "truck":
        return num(r["nb_trucks_2024"]) / DAYS_PER_YEAR
    return (num(r["nb_trains_2024"]) or 0) / DAYS_PER_YEAR * loads_per_train


def reference_loads_per_day(r: dict) -> float:
    """Today's (2024) modelled NB loads/day through a crossing: loaded share x modelled share of the NB
    trucks, or the modelled share of the loaded NB rail boxes (BTS/UNT, ports_of_entry.csv)."""
    if r["mode"] == "truck":
        return num(r["nb_trucks_2024"]) / DAYS_PER_YEAR * LOADED_SHARE_NB_TRUCKS * MODELLED_SHARE_OF_LOADED
    return (num(r["nb_rail_containers_loaded_2024"]) or 0) / DAYS_PER_YEAR * MODELLED_SHARE_OF_LOADED


def crossing_throughput(r: dict, loads_per_train: float, growth: float) -> tuple[float, str]:
    """Loads/day left for modelled freight at a truck POE or rail crossing, and the method text."""
    if r["mode"] == "truck":
        return truck_crossing_throughput(r, growth), (
            f"daily_truck_capacity_est_nb {r['daily_truck_capacity_est_nb']} x {OPERATING_DAYS_PER_MONTH}/"
            f"{CALENDAR_DAYS_PER_MONTH:.2f} (operating -> calendar days; a peak-month figure) - "
            f"peak_month_nb_trucks_2024 {r['peak_month_nb_trucks_2024']}/{CALENDAR_DAYS_PER_MONTH:.2f} x (1 - "
            f"{LOADED_SHARE_NB_TRUCKS:g} x {MODELLED_SHARE_OF_LOADED:g}) x growth {growth:.3f} (empties + "
            "non-modelled goods in the peak month, grown like the parks: a steady modelled flow must fit in the "
            "peak month too)")
    return rail_crossing_throughput(r, loads_per_train, growth)


def crossing_nodes(ref: Reference) -> list[Row]:
    """Every truck POE and rail crossing of ports_of_entry.csv as its own border_crossing node.

    A crossing with a wait curve (:func:`crossing_rows`: throughput and today's modelled volume > 0)
    keeps only its processing time as dwell; the queue wait is the curve's. The others (RAIL_SYS,
    RAIL_PRE) keep the fixed typical wait in their dwell.
    """
    out, lpt, growth = [], ref.loads_per_train(), ref.nearshoring_headroom()
    for r in ref.poes.values():
        lat, lon = ref.coords[r["poe_id"]]
        region = f"{r['us_state']} / {r['mx_state']}"
        throughput, how = crossing_throughput(r, lpt, growth)
        queued = throughput > 0 and reference_loads_per_day(r) > 0
        if r["mode"] == "truck":
            wait = num(r["typical_commercial_wait_min"]) / 60
            dwell = TRUCK_PROCESSING_H if queued else wait + TRUCK_PROCESSING_H
            dwell_how = (f"dwell = {TRUCK_PROCESSING_H:g} h processing (est.); the queue wait (typical "
                         f"{r['typical_commercial_wait_min']} min) is the crossings.csv wait curve" if queued else
                         f"dwell = typical wait {r['typical_commercial_wait_min']} min + {TRUCK_PROCESSING_H:g} h "
                         "processing (est.)")
            how = (f"derived: throughput = {how}; {dwell_how}; capacity: {r['capacity_method']}; "
                   f"wait: {r['wait_source']}")
        else:
            dwell = RAIL_CROSSING_PROCESSING_H if queued else RAIL_CROSSING_DWELL_H
            dwell_how = (f"dwell {RAIL_CROSSING_PROCESSING_H:g} h est. (CBP/crew change); the window wait (typical "
                         f"{RAIL_WINDOW_WAIT_H:g} h) is the crossings.csv wait curve" if queued else
                         f"dwell {RAIL_CROSSING_DWELL_H:g} h est. ({RAIL_WINDOW_WAIT_H:g} h mean wait for a "
                         f"{RAIL_WINDOW_H:g}-h directional window + {RAIL_CROSSING_PROCESSING_H:g} h CBP/crew change; "
                         "no modelled volume in 2024 to calibrate a wait curve)")
            how = f"derived: throughput = {how}; capacity: {r['rail_capacity_trains_per_day']}; {dwell_how}"
        out.append(node(r["poe_id"], r["crossing_name"], "border_crossing", "US", region, lat, lon,
                        f"{how}; {r['source']}", throughput=throughput, dwell_h=dwell))
    return out


def weekly_open_hours(text: str) -> tuple[float, str]:
    """Open hours per day, as a weekly average, of a ``commercial_hours`` text.

    Day/time ranges ("M-F 06:00-20:00", "Sat 09:00-17:00"; a range without days is M-F) are read
    in order until a day comes up a second time: what follows is the other direction, a pilot or a
    past episode ("SB commercial M-F ...", "2017 ... pilot ran M-F ...", "07:00-24:00 during ...").
    """
    covered: set[str] = set()
    hours, parts = 0.0, []
    for match in re.finditer(HOURS_PATTERN, text):
        spec = match.group(1) or HOURS_DEFAULT_DAYS
        days = HOURS_DAYS[spec]
        if covered & set(days):
            break
        covered |= set(days)
        span = (int(match.group(4)) + int(match.group(5)) / 60) - (int(match.group(2)) + int(match.group(3)) / 60)
        hours += len(days) * span
        parts.append(f"{len(days)} x {span:g} h ({spec})")
    if not parts:
        raise ValueError(f"reference text changed: no opening hours in {text[:120]!r}")
    return hours / 7, f"({' + '.join(parts)}) / 7 d"


def fast_lanes_basis(r: dict) -> str | None:
    """Why a truck POE has FAST lanes (named in its text, or a major commercial POE), or None."""
    if re.search(FAST_TEXT_PATTERN, f"{r['wait_source']} {r['notes']}") is not None:
        return "named in the reference text"
    if num(r["daily_truck_capacity_est_nb"]) >= FAST_MIN_DAILY_TRUCKS_NB:
        return f"daily_truck_capacity_est_nb >= {FAST_MIN_DAILY_TRUCKS_NB}"
    return None


def fast_wait_ratio(ref: Reference) -> float:
    """FAST wait / standard cargo wait, median over the POEs whose wait_source quotes both (Otay Mesa)."""
    ratios = [float(m.group(2)) / float(m.group(1)) for r in ref.truck_poes()
              if (m := re.search(FAST_WAIT_PATTERN, r["wait_source"])) is not None]
    if not ratios:
        raise ValueError(f"reference text changed: no POE wait_source matches {FAST_WAIT_PATTERN!r}")
    return statistics.median(ratios)


def crossing_rows(ref: Reference, by_node: dict[str, Row]) -> list[Row]:
    """crossings.csv: the lane types of every crossing with throughput and a modelled volume today.

    Truck POEs: ``general`` lanes, plus ``fast`` lanes where :func:`fast_lanes_basis`, at
    CBP_PRIMARY_LOADS_PER_LANE_HOUR and the weekly-average opening hours. Rail crossings: one
    ``rail`` row of train slots (loads per train / 24 h, open 24 h). The lanes serve all NB traffic:
    modelled freight and the ``background_loads_per_day`` that is not modelled (empties, other goods,
    grown like the parks). Lane-equivalents are set so that RHO_MAX x the lane capacity = the node's
    throughput + the background (the hard limit on modelled freight stays), split between FAST and
    general like today's volume (same utilisation in both); ``reference_loads_per_day`` is today's
    total NB traffic, so the curve is calibrated on the utilisation the observed waits happen at;
    ``reference_lanes`` = ``lanes`` keeps the calibration when a scenario closes lanes.
    """
    lpt, ratio, growth, out = ref.loads_per_train(), fast_wait_ratio(ref), ref.nearshoring_headroom(), []
    for r in ref.poes.values():
        poe = r["poe_id"]
        throughput = round(by_node[poe]["throughput_loads_per_day"], DECIMALS["throughput_loads_per_day"])  # as written
        if throughput <= 0 or reference_loads_per_day(r) <= 0:
            continue
        total = total_traffic_2024(r, lpt)
        background = truck_background(r, growth) if r["mode"] == "truck" else rail_background(r, lpt, growth)
        if r["mode"] == "rail":
            rows = [rail_crossing_row(r, throughput + background, total, lpt)]
        else:
            rows = truck_crossing_rows(r, throughput + background, total, ratio)
        for row in rows:
            row["background_loads_per_day"] = background * row["reference_loads_per_day"] / total
            row["source"] = (f"background = 2024 NB traffic that is not modelled freight x growth {growth:.3f} = "
                             f"{background:.1f} loads/day, split like the volume; reference = all 2024 NB traffic "
                             f"{total:.1f} loads/day x lane-type share; " + row["source"])
        out += rows
    return out


def rail_crossing_row(r: dict, throughput: float, today: float, loads_per_train: float) -> Row:
    """The ``rail`` row of a rail crossing: NB train slots as lanes, the directional-window wait."""
    rate, hours = loads_per_train / RAIL_SLOT_HOURS, RAIL_OPEN_H_PER_DAY
    return crossing_row(
        r["poe_id"], "rail", throughput / (RHO_MAX * rate * hours), rate, hours, today, RAIL_WINDOW_WAIT_H,
        P95 * RAIL_WINDOW_H,
        f"derived: lanes = NB train-slot equivalents for modelled freight = throughput {throughput:.1f} / "
        f"({RHO_MAX:g} x {loads_per_train:.2f} loads/train); loads_per_lane_hour = loads/train / {RAIL_SLOT_HOURS:g} h "
        f"(a slot = one NB train path a day); open {RAIL_OPEN_H_PER_DAY:g} h ({r['commercial_hours']}); "
        f"reference = {MODELLED_SHARE_OF_LOADED:g} x 2024 loaded NB boxes/365; wait = uniform wait for a "
        f"{RAIL_WINDOW_H:g}-h directional window (mean {RAIL_WINDOW_WAIT_H:g} h, p95 {P95:g} x "
        f"{RAIL_WINDOW_H:g} h; RAIL_LRD capacity text, est. for every rail crossing); {r['source']}")


def truck_crossing_rows(r: dict, throughput: float, today: float, ratio: float) -> list[Row]:
    """The ``fast`` (where the POE has FAST lanes) and ``general`` rows of a truck POE."""
    poe, out = r["poe_id"], []
    hours, hours_how = weekly_open_hours(r["commercial_hours"])
    lanes = throughput / (RHO_MAX * CBP_PRIMARY_LOADS_PER_LANE_HOUR * hours)
    typical, p95 = num(r["typical_commercial_wait_min"]) / 60, num(r["p95_wait_min_est"]) / 60
    quoted = re.search(FAST_WAIT_PATTERN, r["wait_source"])
    fast = fast_lanes_basis(r)
    share = FAST_SHARE_OF_MODELLED_VOLUME if fast else 0.0
    common = (f"lanes = lane-equivalents for modelled freight: throughput {throughput:.1f} / ({RHO_MAX:g} x "
              f"{CBP_PRIMARY_LOADS_PER_LANE_HOUR:g} loads/lane-h x open h) x lane-type share; open h = "
              f"commercial_hours {hours_how} ('{r['commercial_hours']}'); reference = nb_trucks_2024 "
              f"{r['nb_trucks_2024']}/365 x {LOADED_SHARE_NB_TRUCKS:g} loaded x {MODELLED_SHARE_OF_LOADED:g} "
              f"modelled x lane-type share")
    if fast:
        fast_typical = float(quoted.group(2)) / 60 if quoted else typical * ratio
        fast_how = (f"FAST wait quoted ({quoted.group(0)}), p95 x the same ratio" if quoted else
                    f"FAST wait = typical x {ratio:.2f} (FAST/standard of the CBP BWT snapshot at Otay Mesa), "
                    "p95 likewise")
        out.append(crossing_row(
            poe, "fast", lanes * share, CBP_PRIMARY_LOADS_PER_LANE_HOUR, hours, today * share, fast_typical,
            p95 * fast_typical / typical,
            f"derived: FAST lanes ({fast}); share {share:g} of volume and lanes (est.); {common}; "
            f"{fast_how}; wait: {r['wait_source']}; {r['source']}"))
    general_typical = float(quoted.group(1)) / 60 if quoted else typical
    out.append(crossing_row(
        poe, "general", lanes * (1 - share), CBP_PRIMARY_LOADS_PER_LANE_HOUR, hours, today * (1 - share),
        general_typical, p95 * general_typical / typical,
        f"derived: general lanes, share {1 - share:g} of volume and lanes; {common}; wait = "
        f"typical_commercial_wait_min {r['typical_commercial_wait_min']}, p95 = p95_wait_min_est "
        f"{r['p95_wait_min_est']}; wait: {r['wait_source']}; {r['source']}"))
    return out


def crossing_row(node_id: str, lane_type: str, lanes: float, rate: float, hours: float, reference: float,
                 typical_h: float, p95_h: float, source: str) -> Row:
    """One crossings.csv row; fails loudly if today's volume would not sit on the increasing part of the curve."""
    capacity = lanes * rate * hours
    if not 0 < reference < RHO_MAX * capacity:
        raise ValueError(f"{node_id}/{lane_type}: reference {reference:.1f} loads/day is not in (0, {RHO_MAX:g} x "
                         f"capacity {capacity:.1f}); the throughput is too low for today's volume")
    return {"node": node_id, "lane_type": lane_type, "lanes": lanes, "loads_per_lane_hour": rate,
            "open_h_per_day": hours, "reference_loads_per_day": reference, "reference_lanes": lanes,
            "background_loads_per_day": 0.0,
            "wait_typical_h": typical_h, "wait_p95_h": p95_h, "source": source}


def market_nodes(ref: Reference) -> list[Row]:
    """The 15 US destination markets."""
    return [node(MARKET_IDS[r["market"]], r["market"], "market", "US", r["state"], num(r["lat"]), num(r["lon"]),
                 r["source"], dwell_h=MARKET_DWELL_H) for r in ref.markets]


# ================================================================================================
# Commodities, supply, demand
# ================================================================================================


def commodity_rows() -> list[Row]:
    """Commodities with value, electricity and water per load (documented estimates)."""
    out = []
    for id_, name, value, kwh_per_usd, litre_per_usd in COMMODITIES:
        fast = FAST_ELIGIBLE[id_]
        out.append({"id": id_, "name": name, "value_usd_per_load": value,
                    "power_mwh_per_load": value * kwh_per_usd / 1000, "water_m3_per_load": value * litre_per_usd / 1000,
                    "fast_eligible": "true" if fast else "false",
                    "source": (f"est.: value US${value:,}/load; electricity {kwh_per_usd:g} kWh and water "
                               f"{litre_per_usd:g} L per US$ shipped (typical sector intensities); FAST-eligible "
                               f"{'yes: C-TPAT-heavy OEM programmes' if fast else 'no: many small non-FAST carriers'} "
                               "(est.); see README")})
    return out


def background_commodity_row(ref: Reference) -> Row:
    """The ``background`` commodity: empties and the goods the model does not route as demand.

    Its value per load is the loaded share of the background x the average loaded NB truck (US
    imports from Mexico x truck share of value / loaded NB trucks); empties are worth nothing.
    """
    empty = 1 - LOADED_SHARE_NB_TRUCKS
    other = LOADED_SHARE_NB_TRUCKS * (1 - MODELLED_SHARE_OF_LOADED)
    per_truck = US_IMPORTS_FROM_MX_USD * TRUCK_VALUE_SHARE / (ref.nb_trucks_per_day() * DAYS_PER_YEAR
                                                               * LOADED_SHARE_NB_TRUCKS)
    value = round(per_truck * other / (empty + other), -3)
    return {"id": BACKGROUND, "name": "Background NB traffic (empties and goods not modelled as demand)",
            "value_usd_per_load": value, "power_mwh_per_load": 0.0, "water_m3_per_load": 0.0,
            "fast_eligible": "true" if BACKGROUND_FAST_ELIGIBLE else "false",
            "source": (f"derived: value = loaded share of the background {other:.2f}/{empty + other:.2f} x average "
                       f"loaded NB truck US${per_truck:,.0f} (US imports from Mexico US${US_IMPORTS_FROM_MX_USD / 1e9:g} B "
                       f"x truck {TRUCK_VALUE_SHARE:g} of value / loaded NB trucks 2024; headline_figures.md); "
                       "no power or water (made outside the modelled plants); FAST-eligible like today's 0.30 "
                       "share of the lanes (est.)")}


def background_rows(ref: Reference, crossings: list[Row]) -> tuple[list[Row], list[Row]]:
    """Supply of the ``background`` commodity at each crossing's MX-side hub and demand at its US-side
    hub, from the crossings' 2024 NB traffic that is not modelled freight (grown like the parks).
    Rail background starts at the MX rail yard and ends at the US truck hub the US rail yard drays to,
    so a closed rail crossing's traffic can move to another bridge or to trucks (:func:`border_road_links`).

    A hub sums the background of its crossings. Routed as flow, it diverts to the crossings it can
    reach when one closes, or shows up as unmet demand.
    """
    ends = {poe: hubs for poe, hubs in TRUCK_CROSSING_HUBS.items()}
    ends |= {poe: (mx_yard, us_hub) for poe, mx_yard, _, _, _, _, us_hub in RAIL_YARDS}  # rail: yard to truck hub
    lpt, growth = ref.loads_per_train(), ref.nearshoring_headroom()
    supply: dict[str, list] = {}
    demand: dict[str, list] = {}
    for poe in dict.fromkeys(row["node"] for row in crossings):
        r = ref.poes[poe]
        amount = truck_background(r, growth) if r["mode"] == "truck" else rail_background(r, lpt, growth)
        mx, us = ends[poe]
        for table, hub in ((supply, mx), (demand, us)):
            table.setdefault(hub, [0.0, []])
            table[hub][0] += amount
            table[hub][1].append(f"{poe} {amount:.1f}")
    how = (f"derived: 2024 NB traffic that is not modelled freight (truck: nb_trucks_2024/365 x (1 - "
           f"{LOADED_SHARE_NB_TRUCKS:g} x {MODELLED_SHARE_OF_LOADED:g}); rail: NB trains x loads/train - "
           f"{MODELLED_SHARE_OF_LOADED:g} x loaded boxes) x growth {growth:.3f}, summed over the hub's crossings")
    src = next(iter(ref.poes.values()))["source"]
    # written to 0.1 load/day: supply rounded up and demand down, so the rounding leaves nothing unmet
    supply_rows_ = [{"node": hub, "commodity": BACKGROUND, "capacity_loads_per_day": math.ceil(total * 10) / 10,
                     "source": f"{how}: {', '.join(parts)}; {src}"} for hub, (total, parts) in supply.items()]
    demand_rows_ = [{"node": hub, "commodity": BACKGROUND, "loads_per_day": math.floor(total * 10) / 10,
                     "source": f"{how}: {', '.join(parts)}; {src}"} for hub, (total, parts) in demand.items()]
    return supply_rows_, demand_rows_


def border_road_links(nodes: dict[str, Row], circuity: float) -> list[Row]:
    """Truck links, both ways, between neighbouring border-city hubs on each side (ordered by longitude),
    and a transload drayage from each MX border rail yard to the city's truck yard."""
    out = []
    for hubs, factor, kmh, usd, side in (
            ([h for h, *_ in MX_TRUCK_HUBS], circuity, MX_TRUCK_KMH, MX_TRUCK_USD_PER_KM, "MX"),
            ([h for h, *_ in US_TRUCK_HUBS], US_ROAD_CIRCUITY, US_TRUCK_KMH, US_TRUCK_USD_PER_KM, "US")):
        ordered = sorted(hubs, key=lambda h: nodes[h]["lon"])
        for a, b in zip(ordered, ordered[1:]):
            km = max(MIN_TRUCK_KM, node_km(nodes[a], nodes[b]) * factor)
            for frm, to in ((a, b), (b, a)):
                out.append(link(f"{frm}-{to}", frm, to, "truck", truck_hours(km, kmh), km * usd, km,
                                f"derived: great-circle x {factor:.3f}; {hos_text(kmh)}; US${usd:g}/km (est.); "
                                f"{side} side; {BORDER_ROAD_BASIS}"))
    for _, mx_yard, *_ in RAIL_YARDS:
        hub = mx_yard.removesuffix("_RAIL")
        km, hours, usd = drayage(max(MIN_DRAYAGE_KM, node_km(nodes[mx_yard], nodes[hub]) * circuity))
        out.append(link(f"{mx_yard}-{hub}", mx_yard, hub, "drayage", hours, usd, km,
                        "derived: rail-to-truck transload at the MX border rail yard, drayage to the truck yard "
                        f"(est., as on the US side); great-circle x {circuity:.3f}"))
    return out


def supply_rows(ref: Reference) -> list[Row]:
    """Plant capacity per commodity = Mexico's total x plant weight x sector mix; Asia = large."""
    total, weight_sum = ref.mx_supply_total(), sum(PLANT_WEIGHT.values())
    operating, building = ref.park_counts()
    method = (f"derived: Mexico total {total:.0f} loads/day = NB trucks 2024 {ref.nb_trucks_per_day():.0f}/day x "
              f"loaded {LOADED_SHARE_NB_TRUCKS:g} x modelled {MODELLED_SHARE_OF_LOADED:g} x nearshoring headroom "
              f"({operating:.0f}+{building:.0f})/{operating:.0f} parks (AMPIP)")
    out = []
    for plant, weight in PLANT_WEIGHT.items():
        mix = PLANT_SECTOR_MIX[plant]
        mix_sum = sum(mix.values())
        for commodity, _share in COMMODITY_SHARE.items():
            if commodity not in mix:
                continue
            cap = total * weight / weight_sum * mix[commodity] / mix_sum
            out.append({"node": plant, "commodity": commodity, "capacity_loads_per_day": cap,
                        "source": (f"{method}; x plant weight {weight:g}/{weight_sum:g} (IMMEX/FDI/output figures, "
                                   f"corridors.csv fdi_or_output_figure) x sector share {mix[commodity]:g}/{mix_sum:g} "
                                   f"(main_sectors); {ref.corridors[plant]['source']}")})
    demand_by = {c: ref.total_demand() * s for c, s in COMMODITY_SHARE.items()}
    figure, source = ref.legs["Asian origins"]
    china, other = (x / 100 for x in first_numbers(ASIA_SHARE_PATTERN, figure))
    countries = [country for _, _, country, _, _ in ORIGINS]
    for id_, _, country, _, _ in ORIGINS:
        group = [c for c in countries if (c == "CN") == (country == "CN")]
        share = (china if country == "CN" else other) / len(group)
        how = (f"{'China' if country == 'CN' else 'other Asia'} {100 * (china if country == 'CN' else other):g} % "
               f"of US import TEUs 2024 / {len(group)} origin ports (equal split, est.)")
        for commodity in COMMODITY_SHARE:
            out.append({"node": id_, "commodity": commodity,
                        "capacity_loads_per_day": demand_by[commodity] * share,
                        "source": (f"derived: {share:.4f} x modelled US demand of the commodity "
                                   f"{demand_by[commodity]:.1f} loads/day; share = {how}; {source}")})
    return out


def demand_rows(ref: Reference) -> list[Row]:
    """Market demand = total demand x demand_weight (us_markets.csv) x commodity share."""
    total = ref.total_demand()
    method = (f"derived: total {total:.0f} loads/day = NB trucks 2024 {ref.nb_trucks_per_day():.0f}/day (BTS, "
              f"ports_of_entry.csv) x loaded {LOADED_SHARE_NB_TRUCKS:g} x modelled {MODELLED_SHARE_OF_LOADED:g} / "
              f"Mexico share {MX_SHARE_OF_DEMAND:g}")
    out = []
    for r in ref.markets:
        for commodity, share in COMMODITY_SHARE.items():
            out.append({"node": MARKET_IDS[r["market"]], "commodity": commodity,
                        "loads_per_day": total * num(r["demand_weight"]) * share,
                        "source": (f"{method}; x demand_weight {r['demand_weight']} ({r['demand_weight_method']}) "
                                   f"x share {share:g} (est.); {r['source']}")})
    return out


def add_power_and_water(plants: list[Row], supply: list[Row], commodities: list[Row]) -> None:
    """Fill power_mw and water_m3_per_day with the plant's need at full output (no binding limit, see
    POWER_WATER_BASIS): the written supply capacities x the per-load intensities, rounded up to the
    written precision so that full output stays feasible."""
    per_load = {c["id"]: (c["power_mwh_per_load"], c["water_m3_per_load"]) for c in commodities}
    for plant in plants:
        id_ = plant["id"]
        caps = [(round(s["capacity_loads_per_day"], DECIMALS["capacity_loads_per_day"]), per_load[s["commodity"]])
                for s in supply if s["node"] == id_]
        mw = sum(cap * intensity[0] for cap, intensity in caps) / 24
        m3 = sum(cap * intensity[1] for cap, intensity in caps)
        plant["power_mw"] = math.ceil(round(mw * 10, 6)) / 10
        plant["water_m3_per_day"] = float(math.ceil(round(m3, 6)))
        plant["source"] = (f"derived: power_mw = the need at full output (sum of capacity x power_mwh_per_load / 24), "
                           f"water = the need at full output (sum of capacity x water_m3_per_load): no binding limit "
                           f"(power limits new load and peaks, not today's output; no sourced water limit: "
                           f"{POWER_WATER_BASIS}); scenarios scale them; {plant['source']}")


# ================================================================================================
# Links
# ================================================================================================


def mexico_truck_links(plants: list[Row], hubs: dict[str, Row], circuity: float) -> list[Row]:
    """Truck linehaul from each plant to its nearest MX border hubs (within LINEHAUL_DETOUR_KM)."""
    out = []
    mx_hubs = [h for h, *_ in MX_TRUCK_HUBS]
    for p in plants:
        road = {h: max(MIN_TRUCK_KM, node_km(p, hubs[h]) * circuity) for h in mx_hubs}
        nearest = min(road.values())
        for h in mx_hubs:
            km = road[h]
            if km > nearest + LINEHAUL_DETOUR_KM:
                continue
            out.append(link(f"{p['id']}-{h}", p["id"], h, "truck", truck_hours(km, MX_TRUCK_KMH),
                            km * MX_TRUCK_USD_PER_KM, km,
                            f"derived: great-circle x {circuity:.3f} (median of road km quoted in corridors.csv); "
                            f"{hos_text(MX_TRUCK_KMH)} (speed est.); US${MX_TRUCK_USD_PER_KM:g}/km (est.); "
                            f"coords {SRC_SIMPLEMAPS} / ports_of_entry.csv"))
    return out


def plant_rail_drayage(plants: list[Row], rail_starts: dict[str, Row], circuity: float) -> list[Row]:
    """Drayage from each plant to every rail terminal or MX rail yard within PLANT_RAIL_DRAY_MAX_KM."""
    out = []
    for p in plants:
        for t_id, t in rail_starts.items():
            road = node_km(p, t) * circuity
            if road > PLANT_RAIL_DRAY_MAX_KM:
                continue
            km, hours, usd = drayage(road)
            out.append(link(f"{p['id']}-{t_id}", p["id"], t_id, "drayage", hours, usd, km,
                            f"derived: great-circle x {circuity:.3f} at {DRAYAGE_KMH:g} km/h; "
                            f"US${DRAYAGE_FLAT_USD:g} + US${DRAYAGE_USD_PER_KM:g}/km (est.)"))
    return out


def mexico_rail_links(ref: Reference, coords: dict[str, tuple[float, float]]) -> list[Row]:
    """The rail_links.csv links, plus SLP, Saltillo and Bajio to Nuevo Laredo derived from them.

    Hours: the typical_transit_hours text (midpoint of a range); links quoted to Laredo lose the
    modelled border dwell (it sits in the yard and crossing nodes); RL_MTY_PNE from km at the
    derived Mexican rail speed. Capacity: :func:`rail_link_capacity`.
    """
    net_slp, mx_kmh, _ = derived_speeds(ref, coords)
    border = border_rail_hours()
    out, hours_of = [], {}
    for id_, (frm, to) in RAIL_LINK_ENDS.items():
        r = ref.rail_links[id_]
        km = num(r["approx_rail_km_est"])
        text = r["typical_transit_hours"]
        if id_ in RAIL_HOURS_FROM_KM:
            hours, how = km / mx_kmh, f"{km:g} km at derived {mx_kmh:.1f} km/h (text '{text}' is not a leg time)"
        else:
            part = RAIL_HOURS_TEXT_PART.get(id_)
            chosen = text.split(part, 1)[1] if part else text
            hours, how = midpoint_hours(chosen), f"typical_transit_hours '{text}'"
        if id_ in LINKS_INCLUDING_BORDER:
            hours -= border
            how += f" minus {border:g} h modelled border yard/crossing"
        capacity, capacity_how = rail_link_capacity(ref, id_, frm, to)
        hours_of[id_] = hours
        out.append(link(id_, frm, to, "rail", hours, km * RAIL_USD_PER_KM, km,
                        f"derived: {how}; {capacity_how}; km {r['km_method']}; US${RAIL_USD_PER_KM:g}/km (est.); "
                        f"{r['source']}", capacity=capacity))
    mmx = ref.rail_links["RL_CDMX_NLD"]["source"]
    slp_km = net_slp * mx_kmh
    derived = {id_: rail_link_capacity(ref, id_, frm, "HUB_MX_NLD_RAIL") for id_, frm in
               (("RL_SLP_NLD", "RT_SLP"), ("RL_SAL_NLD", "RT_SAL"), ("RL_BAJ_NLD", "RT_BAJ"))}
    derived["RL_BAJ_PNE"] = rail_link_capacity(ref, "RL_BAJ_PNE", "RT_BAJ", "HUB_MX_PNE_RAIL")
    out.append(link("RL_SLP_NLD", "RT_SLP", "HUB_MX_NLD_RAIL", "rail", net_slp, slp_km * RAIL_USD_PER_KM, slp_km,
                    f"derived: 'SLP->Laredo ~36' (CPKC MMX, rail_links.csv RL_CDMX_NLD) minus {border:g} h border; "
                    f"km = great-circle SLP-Saltillo-Monterrey-NLD x {RAIL_CIRCUITY:g}; {derived['RL_SLP_NLD'][1]}; "
                    f"{mmx}", capacity=derived["RL_SLP_NLD"][0]))
    sal_h = hours_of["RL_MTY_NLD"] + (SALTILLO_NLD_RAIL_KM - MONTERREY_NLD_RAIL_KM) / mx_kmh
    out.append(link("RL_SAL_NLD", "RT_SAL", "HUB_MX_NLD_RAIL", "rail", sal_h, SALTILLO_NLD_RAIL_KM * RAIL_USD_PER_KM,
                    SALTILLO_NLD_RAIL_KM,
                    f"derived: RL_MTY_NLD hours + ({SALTILLO_NLD_RAIL_KM:g} - {MONTERREY_NLD_RAIL_KM:g}) km at "
                    f"{mx_kmh:.1f} km/h (ARTF Saltillo-Nuevo Laredo 363.1 km); {derived['RL_SAL_NLD'][1]}; "
                    f"{ref.rail_links['RL_MTY_NLD']['source']}", capacity=derived["RL_SAL_NLD"][0]))
    baj_extra = ref.rail_km(coords["RT_BAJ"], coords["RT_SLP"])
    out.append(link("RL_BAJ_NLD", "RT_BAJ", "HUB_MX_NLD_RAIL", "rail", net_slp + baj_extra / mx_kmh,
                    (slp_km + baj_extra) * RAIL_USD_PER_KM, slp_km + baj_extra,
                    f"derived: RL_SLP_NLD + Bajio-SLP great-circle x {RAIL_CIRCUITY:g} at {mx_kmh:.1f} km/h "
                    f"(via Celaya); {derived['RL_BAJ_NLD'][1]}; {mmx}", capacity=derived["RL_BAJ_NLD"][0]))
    eagle = ref.rail_links["RL_MTY_PNE"]
    to_mty = ref.rail_km(coords["RT_BAJ"], coords["RT_MTY"])
    pne_km = num(eagle["approx_rail_km_est"]) + to_mty
    out.append(link("RL_BAJ_PNE", "RT_BAJ", "HUB_MX_PNE_RAIL", "rail", hours_of["RL_MTY_PNE"] + to_mty / mx_kmh,
                    pne_km * RAIL_USD_PER_KM, pne_km,
                    f"derived: RL_MTY_PNE + Bajio-Monterrey great-circle x {RAIL_CIRCUITY:g} at {mx_kmh:.1f} km/h: "
                    f"the Ferromex line to Eagle Pass starts at 'Monterrey (Ferromex terminal) / Silao' and "
                    f"'competes with CPKC via Laredo for Monterrey/Bajio-Midwest intermodal' (rail_links.csv "
                    f"RL_MTY_PNE; UP-Ferromex 'Eagle Premium'); {derived['RL_BAJ_PNE'][1]}; {eagle['source']}",
                    capacity=derived["RL_BAJ_PNE"][0]))
    return out


def rail_link_capacity(ref: Reference, link_id: str, start: str, end: str) -> tuple[float, str]:
    """(loads/day, method) of a Mexican rail link: NB trains/day x loads per train.

    NB trains/day from RAIL_LINK_CAPACITY_BASIS (both-direction figures x NB_SHARE_OF_TRAIN_SLOTS). Loads per
    train: INTERMODAL_TRAIN_LOADS for port trains, else the BTS loaded NB boxes per NB train (as at
    the rail crossings). The figure is the line's, for all its freight: a single link's limit, not
    shared with the other links through the same junction. Fails loudly if it is below the 2024 NB
    trains of the crossing the line runs into (a capacity below today's traffic).
    """
    basis = RAIL_LINK_CAPACITY_BASIS[link_id]
    if basis == "manzanillo":
        trains, how = MANZANILLO_TRAINS_PER_WEEK / 7, f"Ferromex plan {MANZANILLO_TRAINS_PER_WEEK} trains/week"
    elif basis == "celaya":
        both = first_number(CELAYA_PATTERN, ref.rail_links["RL_CDMX_NLD"]["bottleneck_notes"])
        trains = both * NB_SHARE_OF_TRAIN_SLOTS
        how = f"Celaya ~{both:g} trains/day both directions (rail_links.csv) x {NB_SHARE_OF_TRAIN_SLOTS:g} NB"
    elif basis == "single_track":
        trains = SINGLE_TRACK_TRAINS_PER_DAY * NB_SHARE_OF_TRAIN_SLOTS
        how = (f"single-track mainline {SINGLE_TRACK_TRAINS_PER_DAY:g} trains/day both directions (est.) x "
               f"{NB_SHARE_OF_TRAIN_SLOTS:g} NB (capacity_figure gives traffic only)")
    else:
        trains, slots_how = rail_nb_slots(ref.poes[basis])
        how = f"{basis} bridge NB slots: {slots_how}"
    crossing = next((poe for poe, mx_yard, *_ in RAIL_YARDS if mx_yard == end), None)
    if crossing is not None:
        today = (num(ref.poes[crossing]["nb_trains_2024"]) or 0) / DAYS_PER_YEAR
        if trains < today:
            raise ValueError(f"{link_id}: {trains:.2f} NB trains/day is below {crossing}'s 2024 {today:.2f}/day")
    port = start in PORT_RAIL_ORIGINS
    per_train = INTERMODAL_TRAIN_LOADS if port else ref.loads_per_train()
    per_train_how = ("port double-stack train (est.)" if port else "BTS 2024 loaded NB boxes per NB train")
    return trains * per_train, (f"capacity = {trains:.2f} NB trains/day ({how}) x {per_train:.2f} loads/train "
                                f"({per_train_how})")


def crossing_links(ref: Reference, nodes: dict[str, Row]) -> list[Row]:
    """MX hub -> crossing -> US hub: drayage at truck POEs, rail at rail crossings."""
    out = []
    for poe, (mx_hub, us_hub) in TRUCK_CROSSING_HUBS.items():
        for frm, to in ((mx_hub, poe), (poe, us_hub)):
            road = node_km(nodes[frm], nodes[to]) * US_ROAD_CIRCUITY
            km, hours, usd = drayage(road)
            out.append(link(f"{frm}-{to}", frm, to, "drayage", hours, usd, km,
                            f"derived: cross-border drayage, great-circle x {US_ROAD_CIRCUITY:g} at "
                            f"{DRAYAGE_KMH:g} km/h; US${DRAYAGE_FLAT_USD:g} + US${DRAYAGE_USD_PER_KM:g}/km (est.); "
                            "coords ports_of_entry.csv"))
    for poe, mx_yard, _, _, us_yard, _, us_hub in RAIL_YARDS:
        for frm, to in ((mx_yard, poe), (poe, us_yard)):
            out.append(link(f"{frm}-{to}", frm, to, "rail", RAIL_YARD_LINK_H, MIN_DRAYAGE_KM * RAIL_USD_PER_KM,
                            MIN_DRAYAGE_KM, f"est.: yard to bridge {RAIL_YARD_LINK_H:g} h"))
        km, hours, usd = drayage(node_km(nodes[us_yard], nodes[us_hub]) * US_ROAD_CIRCUITY)
        out.append(link(f"{us_yard}-{us_hub}", us_yard, us_hub, "drayage", hours, usd, km,
                        "derived: rail-to-truck transload, drayage to the US truck yard (est.)"))
    return out


def us_truck_links(ref: Reference, nodes: dict[str, Row]) -> list[Row]:
    """Truck from every US border hub and US seaport to every market, all timed by :func:`truck_hours`.

    Road km: the us_markets.csv road-mile columns from Laredo, El Paso and Otay Mesa, the road miles
    quoted in the LA/LB inland_leg truck rows, else great-circle x US_ROAD_CIRCUITY.
    """
    inland = {(r["origin"], r["destination"]): r for r in ref.sea
              if r["record_type"] == "inland_leg" and r["mode"] == "truck"}
    hos = f"{hos_text(US_TRUCK_KMH)} ({US_TRUCK_MPH:g} mph, us_markets.csv truck_time_method, est.)"
    cost = f"US${US_TRUCK_USD_PER_KM:g}/km (est.)"
    out = []
    starts = [(h, col) for h, _, _, _, col in US_TRUCK_HUBS] + [(s[0], None) for s in SEAPORTS if s[2] == "US"]
    for start, column in starts:
        for m in ref.markets:
            market = MARKET_IDS[m["market"]]
            leg = inland.get((start, m["market"]))
            if column is not None:
                km = num(m[f"road_mi_from_{column}_est"]) * KM_PER_MILE
                how = f"road_mi_from_{column}_est {m[f'road_mi_from_{column}_est']} mi (us_markets.csv); {m['source']}"
            elif leg is not None:
                miles = first_number(INLAND_ROAD_MI_PATTERN, leg["inland_transit_days_text"])
                km = miles * KM_PER_MILE
                how = (f"road miles quoted in seaports_and_ocean.csv inland_leg '{leg['inland_transit_days_text']}'; "
                       f"{leg['source']}")
            else:
                to = (num(m["lat"]), num(m["lon"]))
                km = max(MIN_TRUCK_KM, haversine_km((nodes[start]["lat"], nodes[start]["lon"]), to) * US_ROAD_CIRCUITY)
                how = f"road km = great-circle x {US_ROAD_CIRCUITY:g} (us_markets.csv truck_time_method)"
            out.append(link(f"{start}-{market}", start, market, "truck", truck_hours(km, US_TRUCK_KMH),
                            km * US_TRUCK_USD_PER_KM, km, f"derived: {hos}; {how}; {cost}"))
    return out


def rail_bound_port_h(nodes: dict[str, Row], port: str) -> float:
    """Modelled hours a rail-bound box spends at a US port: the port's dwell plus its ramp's."""
    return nodes[port]["dwell_h"] + nodes[US_RAMPS[port]]["dwell_h"]


def intermodal_speed(ref: Reference, coords: dict[str, tuple[float, float]]) -> tuple[float, str]:
    """(km/h, method) of port-to-ramp intermodal rail: the quoted LA/LB inland_leg rail legs, sum of rail km
    (great-circle x RAIL_CIRCUITY) over the sum of their typical hours."""
    legs = [r for r in ref.sea if r["record_type"] == "inland_leg" and r["mode"].startswith("rail")
            and r["origin"] == "Los_Angeles_Long_Beach" and not re.search(SHIP_TO_PATTERN, r["inland_transit_days_text"])]
    km = sum(ref.rail_km(coords[US_RAMPS[r["origin"]]], coords[MARKET_IDS[r["destination"]]]) for r in legs)
    hours = sum(num(r["inland_transit_days_typical"]) * 24 for r in legs)
    names = ", ".join(f"{r['destination']} {r['inland_transit_days_typical']} d" for r in legs)
    return km / hours, f"{km:.0f} rail km / {hours:g} h of the quoted LA/LB port-to-ramp legs ({names})"


def us_rail_links(ref: Reference, nodes: dict[str, Row], coords: dict[str, tuple[float, float]]) -> list[Row]:
    """Rail: seaport -> ramp drayage, intermodal ramp -> market from every US port, border rail yards -> markets.

    A ramp -> market leg takes the quoted inland_leg time where there is one: port-to-ramp figures as
    quoted; a "ship-to-X" figure (Seattle) minus the modelled rail-bound port time, which it already
    holds. Every other market at least INTERMODAL_MIN_RAIL_KM away by rail: rail km at
    :func:`intermodal_speed`.
    """
    _, _, us_kmh = derived_speeds(ref, coords)
    speed, speed_how = intermodal_speed(ref, coords)
    quoted = {(r["origin"], MARKET_IDS[r["destination"]]): r for r in ref.sea
              if r["record_type"] == "inland_leg" and r["mode"].startswith("rail") and r["origin"] in US_RAMPS}
    out = []
    for port, ramp in US_RAMPS.items():
        km, hours, usd = drayage(MIN_DRAYAGE_KM)
        out.append(link(f"{port}-{ramp}", port, ramp, "drayage", hours, usd, km, "est.: on/near-dock transfer"))
        for m in ref.markets:
            market = MARKET_IDS[m["market"]]
            km = ref.rail_km(coords[ramp], coords[market])
            r = quoted.get((port, market))
            if r is not None:
                text, hours = r["inland_transit_days_text"], num(r["inland_transit_days_typical"]) * 24
                how = f"seaports_and_ocean.csv inland_leg: {text}"
                if re.search(SHIP_TO_PATTERN, text):
                    port_h = rail_bound_port_h(nodes, port)
                    hours -= port_h
                    how += (f"; minus the {port_h:g} h rail-bound port dwell it already holds (leg_variability.md "
                            "intermodal rail: do not add dwell twice)")
                how += f"; {r['source']}"
            elif km >= INTERMODAL_MIN_RAIL_KM:
                hours = km / speed
                how = (f"derived: rail km at {speed:.1f} km/h, the port-to-ramp speed of the quoted LA/LB legs "
                       f"({speed_how}); markets >= {INTERMODAL_MIN_RAIL_KM:g} rail km (est.)")
            else:
                continue
            out.append(link(f"{ramp}-{market}", ramp, market, "rail", hours, km * RAIL_USD_PER_KM, km,
                            f"{how}; km great-circle x {RAIL_CIRCUITY:g}; US${RAIL_USD_PER_KM:g}/km (est.)"))
    mmx = ref.rail_links["RL_CDMX_NLD"]["source"]
    for yard, market in US_BORDER_RAIL_TO_MARKETS:
        km = ref.rail_km(coords[yard], coords[market])
        if (yard, market) == ("HUB_US_LRD_RAIL", "US_CHI"):
            hours = MMX_SLP_CHICAGO_H - MMX_SLP_LAREDO_H
            how = f"CPKC MMX SLP-Chicago {MMX_SLP_CHICAGO_H:g} h - SLP-Laredo {MMX_SLP_LAREDO_H:g} h"
        else:
            hours = km / us_kmh
            how = f"est.: km at {us_kmh:.1f} km/h (speed of the CPKC MMX Laredo-Chicago leg)"
        out.append(link(f"{yard}-{market}", yard, market, "rail", hours, km * RAIL_USD_PER_KM, km,
                        f"derived: {how}; km great-circle x {RAIL_CIRCUITY:g}; US${RAIL_USD_PER_KM:g}/km (est.); "
                        f"{mmx}"))
    return out


def ocean_links(ref: Reference) -> list[Row]:
    """Every Asia -> port leg: computed days at 16 kn (+ canal wait, + transshipment), their range tops as
    the p95, and late vessels as a delay event (probability 1 - on-time share, days late of late vessels)."""
    rates = ref.ocean_contract_usd()
    reliability = next(r for r in ref.sea if r["record_type"] == "reliability")
    on_time, late_days = ref.vessel_reliability()
    late = 1 - on_time
    computed = {(r["origin"], r["destination"]): r for r in ref.sea if r["record_type"] == "ocean_leg"}
    out = []
    for r in ref.sea:
        if r["record_type"] != "ocean_leg":
            continue
        o, d = r["origin"], r["destination"]
        nm = num(r["sea_distance_nm"])
        days = num(r["transit_days_computed_16kn"])
        extras, excess = [], []
        if d in SECOND_CALL_PORTS:
            first = computed[(o, SECOND_CALL_PORTS[d])]
            days, nm, how, berth_excess = ref.second_call(first, d)
            extras.append(how)
            excess.append(berth_excess)
        if d in CANAL_PORTS:
            days += CANAL_WAIT_DAYS
            extras.append(f"+ Panama wait {CANAL_WAIT_DAYS:g} d (p95 {CANAL_WAIT_P95_DAYS:g} d)")
            excess.append(CANAL_WAIT_P95_DAYS - CANAL_WAIT_DAYS)
        if o == "Ho_Chi_Minh_City":
            days += HCMC_TRANSSHIP_DAYS
            extras.append(f"+ transshipment {HCMC_TRANSSHIP_DAYS:g} d (p95 {HCMC_TRANSSHIP_P95_DAYS:g} d)")
            excess.append(HCMC_TRANSSHIP_P95_DAYS - HCMC_TRANSSHIP_DAYS)
        if d in VESSEL_DELAY_DAYS_BY_PORT:
            delay_days = VESSEL_DELAY_DAYS_BY_PORT[d] / late
            extras.append(f"; late vessels: p {late:.3f}, +{delay_days:.2f} d (mean arrival delay "
                          f"{VESSEL_DELAY_DAYS_BY_PORT[d]:g} d / p)")
        else:
            delay_days = late_days
            extras.append(f"; late vessels: p = 1 - {on_time:.3f} on time, +{late_days:g} d (late vessels' mean)")
        cost, cost_how = rates[PORT_COAST[d]]
        if d == "Houston":
            cost_how = f"est.: Gulf all-water via Panama priced as the East Coast; {cost_how}"
        computed_how = ("" if d in SECOND_CALL_PORTS else f"transit_days_computed_16kn {r['transit_days_computed_16kn']} ")
        row = link(f"{o}-{d}", o, d, "ocean", days * 24, cost, nm * KM_PER_NM,
                   f"derived: {computed_how}{' '.join(extras)} "
                   f"(quoted: {r['transit_days_quoted'] or 'n/a'}); cost ({PORT_COAST[d]} coast) {cost_how} ; "
                   f"{r['source']} ; delay: {reliability['source']}")
        row |= {"transit_p95_h": (days + rss(excess)) * 24 if excess else None, "delay_prob": late,
                "delay_h": delay_days * 24}
        out.append(row)
    return out


# ================================================================================================
# Variability (p95s and delay events) and tariffs
# ================================================================================================


def rss(excesses: Iterable[float]) -> float:
    """Root sum of squares: the p95 excess of a sum of independent parts, from the parts' excesses."""
    return math.sqrt(sum(x * x for x in excesses))


def add_variability(ref: Reference, nodes: list[Row], links: list[Row]) -> None:
    """Fill ``dwell_p95_h``, ``transit_p95_h`` and the delay events of seaports, crossings and ranged
    rail legs (ocean links get theirs in :func:`ocean_links`). Everything else stays fixed."""
    by_node, by_link = {n["id"]: n for n in nodes}, {row["id"]: row for row in links}
    seaport_variability(ref, by_node)
    crossing_variability(ref, by_node)
    rail_variability(ref, by_link)


def dwell_tops(ref: Reference) -> tuple[dict[tuple[str, str], tuple[float, float]], float]:
    """Quoted (typical, top) dwell days per (port, truck|rail), and the median top/typical ratio that
    stands in where a port quotes no range."""
    dwell, tops = ref.port_dwell(), {}
    for port, patterns in PORT_DWELL_TOP_PATTERNS.items():
        r = dwell[port]
        for mode, pattern in zip(("truck", "rail"), patterns, strict=True):
            typical = num(r[f"dest_port_dwell_days_{mode}"])
            if pattern is not None and typical is not None:
                tops[port, mode] = (typical, first_number(pattern, r["dest_port_dwell_days_text"]))
    return tops, statistics.median(top / typical for typical, top in tops.values())


def seaport_variability(ref: Reference, by_node: dict[str, Row]) -> None:
    """Port dwell p95 from the quoted dwell and customs ranges; customs exams as a delay event."""
    tops, ratio = dwell_tops(ref)
    dwell = ref.port_dwell()
    for port, *_ in SEAPORTS:
        r = dwell[port]
        mode = "rail" if port == "Lazaro_Cardenas" else "truck"
        days, customs = num(r[f"dest_port_dwell_days_{mode}"]), num(r["customs_clearance_days_typical"])
        day_top = tops.get((port, mode), (days, days * ratio))[1]
        customs_text = r["customs_clearance_days_text"]
        quoted = re.search(CUSTOMS_TOP_PATTERN, customs_text)
        customs_top = float(quoted.group(1)) if quoted else customs * ratio
        exam = re.search(US_EXAM_PATTERN, customs_text)
        if exam:
            prob, exam_days = float(exam.group(3)) / 100, (float(exam.group(1)) + float(exam.group(2))) / 2
            exam_how = f"exam {prob:g} x +{exam_days:g} d ('{exam.group(0)}', midpoint)"
        else:
            low = first_number(MX_RED_LIGHT_PATTERN, customs_text)
            high = float(re.search(MX_RED_LIGHT_PATTERN, customs_text).group(2))
            prob, exam_days = MX_RED_LIGHT_PROB, (low + high) / 2
            exam_how = f"red-light review {prob:g} (est., the US exam rate) x +{exam_days:g} d (midpoint)"
        node = by_node[port]
        node["dwell_p95_h"] = max(day_top, customs_top) * 24
        node["delay_prob"], node["delay_h"] = prob, exam_days * 24
        how = "quoted top" if (port, mode) in tops else f"x {ratio:.3f} (median top/typical of the quoted ranges)"
        node["source"] += (f"; spread: p95 = max({mode} dwell top {day_top:g} d ({how}), customs top {customs_top:g} "
                           f"d) x 24 (in parallel, like the typical values); delay: {exam_how}")
        ramp = by_node.get(US_RAMPS.get(port, ""))
        if ramp is not None and ramp["dwell_h"] > 0:
            rail = num(r["dest_port_dwell_days_rail"])
            rail_top = tops.get((port, "rail"), (rail, rail * ratio))[1]
            ramp["dwell_p95_h"] = ramp["dwell_h"] + (rail_top - rail) * 24
            ramp["source"] += f"; spread: p95 = dwell_h + (rail-bound top {rail_top:g} d - {rail:g} d) x 24"
        elif ramp is not None:
            ramp["source"] += "; spread: none (rail-bound dwell within the truck-bound port dwell)"


def crossing_variability(ref: Reference, by_node: dict[str, Row]) -> None:
    """Crossings with a wait curve: the node's dwell is processing only and fixed (the wait and its
    spread are crossings.csv ``wait_typical_h`` / ``wait_p95_h``). The others keep the wait in the
    dwell: truck p95 = dwell_h + (p95 wait - typical wait); rail: the p95 of a uniform window wait."""
    for r in ref.poes.values():
        node = by_node[r["poe_id"]]
        if node["throughput_loads_per_day"] > 0 and reference_loads_per_day(r) > 0:
            node["source"] += "; spread: processing fixed, the wait's spread is crossings.csv wait_p95_h"
        elif r["mode"] == "truck":
            typical, p95 = num(r["typical_commercial_wait_min"]), num(r["p95_wait_min_est"])
            node["dwell_p95_h"] = node["dwell_h"] + (p95 - typical) / 60
            node["source"] += f"; spread: p95 = dwell_h + (p95_wait_min_est {p95:g} - typical {typical:g}) / 60"
        else:
            node["dwell_p95_h"] = node["dwell_h"] + (P95 - 0.5) * RAIL_WINDOW_H
            node["source"] += (f"; spread: p95 = dwell_h + (0.95 - 0.5) x {RAIL_WINDOW_H:g}-h directional window "
                               "(uniform wait; RAIL_LRD windows, est. for every rail crossing)")


def rail_variability(ref: Reference, by_link: dict[str, Row]) -> None:
    """Rail legs quoted as a range 'A-B': the typical value is the midpoint, B is the p95."""
    for id_ in RAIL_LINK_ENDS:
        if id_ in RAIL_HOURS_FROM_KM:
            continue
        text = ref.rail_links[id_]["typical_transit_hours"]
        part = RAIL_HOURS_TEXT_PART.get(id_)
        match = re.search(r"(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)", text.split(part, 1)[1] if part else text)
        if match:
            low, high = float(match.group(1)), float(match.group(2))
            row = by_link[id_]
            row["transit_p95_h"] = row["transit_h"] + (high - low) / 2
            row["source"] += f"; spread: p95 = transit_h + ({high:g} - {low:g}) / 2 h (top of the range)"
    for r in ref.sea:
        if r["record_type"] != "inland_leg" or not r["mode"].startswith("rail") or r["origin"] not in US_RAMPS:
            continue
        match = re.search(INLAND_RAIL_RANGE_PATTERN, r["inland_transit_days_text"])
        typical = num(r["inland_transit_days_typical"])
        if match and float(match.group(2)) > typical:
            row = by_link[f"{US_RAMPS[r['origin']]}-{MARKET_IDS[r['destination']]}"]
            row["transit_p95_h"] = row["transit_h"] + (float(match.group(2)) - typical) * 24
            row["source"] += f"; spread: p95 = top of '{match.group(0)}'"


# ================================================================================================
# Leg library: every leg random at the level of one truck or one container; calendars; regimes
# ================================================================================================

TRUCK_DAY_MI_RANGE = (500.0, 600.0)  # US trucking "500-600 mi/day": the slow end read as the p95 of a day's progress
MX_SECURITY_PROB = 0.05  # est.: a Mexican linehaul load meets a checkpoint, convoy wait or theft-related stop
MX_SECURITY_H = (3.0, 12.0)  # est.: typical and p95 hours of that stop
BREAKDOWN_PROB_PER_1000_KM = 0.02  # est.: road breakdowns/tyres per 1,000 km (no public leg-level figure)
BREAKDOWN_H = (4.0, 12.0)  # est.: typical and p95 hours to repair or re-power
DRAYAGE_P95_RATIO = 1.5  # est.: urban and border-city drayage p95 / typical (congestion)
PLANT_DWELL_P95_H = 4.0  # est.: loading and gate-out, p95
MX_YARD_P95_H = 24.0  # "dispatched to a transfer (B-1) carrier typically within 24 hours": read as the p95
US_YARD_P95_H = 30.0  # drop-and-hook with next-day pickup: the US handoff's p95 = next day + the 6-h handoff (est.)
RAIL_YARD_P95_RATIO = 2.0  # est.: border rail yards (pedimento, inspection, train make-up) p95 / typical
RAIL_FAILURE_PROB = 0.05  # est.: a box misses its train (service failure, no public Mexican figure)
RAIL_FAILURE_H = (24.0, 48.0)  # est.: the next daily train; two if the next one is full
CROSSING_PROCESSING_P95_H = 1.0  # est.: CBP primary booth p95 (the queue's spread is crossings.csv wait_p95_h)
SECONDARY_H = (1.0, 3.0)  # est.: hours of an NII scan / secondary inspection (typical, p95)
SECONDARY_PATTERN = r"scanning of about (\d+) % of cargo vehicles"
RED_LIGHT_CLEAN = (0.10, 3.0, 8.0)  # est.: share of loads with a red light, hours of a clean one (typical, p95)
RED_LIGHT_DISCREPANCY = (0.01, 48.0, 96.0)  # est.: red light with discrepancies ("costs days")
PORT_DWELL_SIGMA = {"truck": (0.39, 0.46), "rail": (0.72, 0.78)}  # PMSA container-level lognormal sigmas
EXAM_MIX = (  # CBP exam types: (part, share of exams (est.), typical d, p95 d) from "X-ray 2-3 d, tail-gate 5-6 d, intensive 7-30 d"
    ("exam_xray", 0.60, 2.5, 3.0), ("exam_tailgate", 0.30, 5.5, 6.0), ("exam_intensive", 0.10, 10.0, 30.0))
FDA_HOLD = (0.02, 72.0, 240.0)  # est.: FDA hold of a medical-device entry: probability, typical h, p95 h
LATE_VESSEL_SIGMA = 0.8  # est.: lognormal sigma of the days late of a late vessel (right-skewed; global mean 5.0-5.7 d)
SAILING_DAY = "sat 12"  # est.: one weekly sailing per service (the day does not matter for a random ready time)
SAILING_CUTOFF_H = 24.0  # "the customs cut-off is 12-24 h before loading": the top
BLANK_SAILING_PCT = (6.0, 13.0)  # Drewry 2024 cancelled sailings
NORMAL_ROLL_PROB = 0.05  # est.: boxes rolled in a normal week (39-45 % is the peak regime)
TRAIN_DEPARTURE = "daily 20"  # est.: Mexican inland terminals run about one train a day (RAIL_TERMINAL_DWELL_H)
MX_CUSTOMS_HOURS = "daily 08-20"  # "Mexican customs presentation in working hours, typically 08-20"


def src(ref: Reference, item: str) -> str:
    """``leg_variability.md '<item>': <its source>``."""
    return f"leg_variability.md '{item}': {ref.legs[item][1]}"


def lognormal_p95(typical: float, sigma: float) -> float:
    return typical * math.exp(P95_Z * sigma)


def event(element: str, part: str, prob: float, typical_h: float, p95_h: float | None, source: str, *,
          estimate: bool, commodity: str | None = None) -> Row:
    """One legs.csv row."""
    return {"element": element, "part": part, "commodity": commodity, "prob": prob, "typical_h": typical_h,
            "p95_h": p95_h, "estimate": estimate, "source": source}


def moment_lognormal(mean: float, var: float) -> tuple[float, float]:
    """(median, sigma) of the lognormal with this mean and variance."""
    sigma2 = math.log(1 + var / mean**2)
    return mean / math.exp(sigma2 / 2), math.sqrt(sigma2)


def leg_library(ref: Reference, nodes: list[Row], links: list[Row], crossings: list[Row]) -> dict[str, list[Row]]:
    """Give every leg its container- or truck-level spread, its events, its clock and its shock domain.

    Fills ``dwell_p95_h`` / ``transit_p95_h`` of every leg that had none, moves delay events to
    ``legs.csv`` (with duration distributions), adds ``weekly_hours`` to crossings and returns the
    ``legs``, ``calendars`` and ``regimes`` tables.
    """
    by_node = {n["id"]: n for n in nodes}
    legs: list[Row] = []
    legs += truck_and_drayage_legs(ref, links)
    legs += rail_legs(ref, links)
    legs += ocean_legs(ref, links)
    legs += node_legs(ref, nodes)
    for row in crossings:
        r = ref.poes[row["node"]]
        row["weekly_hours"] = weekly_hours_text(r["commercial_hours"]) if r["mode"] == "truck" else None
    set_shock_domains(ref, nodes, links, by_node)
    return {"legs": sorted(legs, key=lambda e: (e["element"], e["part"])), "calendars": calendar_rows(ref, nodes),
            "regimes": regime_rows(ref)}


def truck_and_drayage_legs(ref: Reference, links: list[Row]) -> list[Row]:
    """Truck: traffic and weather spread (the slow end of a day's progress), breakdowns; Mexican
    linehaul: security stops. Drayage: congestion spread (est.)."""
    slow, typical = TRUCK_DAY_MI_RANGE[0], sum(TRUCK_DAY_MI_RANGE) / 2
    out = []
    for row in links:
        if row["mode"] == "truck":
            row["transit_p95_h"] = row["transit_h"] * typical / slow
            row["source"] += (f"; spread: p95 = transit_h x {typical:g}/{slow:g} (a day's progress at the slow end of "
                              f"'500-600 mi/day', read as the p95; {src(ref, 'US trucking')})")
            km = row["distance_km"] or 0.0
            out.append(event(row["id"], "breakdown", min(1.0, BREAKDOWN_PROB_PER_1000_KM * km / 1000), *BREAKDOWN_H,
                             f"est.: {BREAKDOWN_PROB_PER_1000_KM:g} per 1,000 km x {km:.0f} km; no public "
                             "leg-level figure", estimate=True))
            if row["from"].startswith("MX_"):
                out.append(event(row["id"], "security_stop", MX_SECURITY_PROB, *MX_SECURITY_H,
                                 f"est. rate and hours; {src(ref, 'Mexican linehaul')}", estimate=True))
        elif row["mode"] == "drayage":
            row["transit_p95_h"] = row["transit_h"] * DRAYAGE_P95_RATIO
            row["source"] += f"; spread: p95 = transit_h x {DRAYAGE_P95_RATIO:g} (est., urban congestion)"
    return out


def rail_legs(ref: Reference, links: list[Row]) -> list[Row]:
    """Rail legs without a quoted range get the median p95/typical of the ranged ones; Mexican rail
    links get a missed-train service failure (est.)."""
    ranged = [r["transit_p95_h"] / r["transit_h"] for r in links
              if r["mode"] == "rail" and r["transit_p95_h"] and r["transit_h"] > 0]
    ratio = statistics.median(ranged)
    out = []
    for row in links:
        if row["mode"] != "rail":
            continue
        if not row["transit_p95_h"]:
            row["transit_p95_h"] = row["transit_h"] * ratio
            row["source"] += f"; spread: p95 = transit_h x {ratio:.3f} (median p95/typical of the quoted rail ranges)"
        if row["id"].startswith("RL_"):
            out.append(event(row["id"], "service_failure", RAIL_FAILURE_PROB, *RAIL_FAILURE_H,
                             f"est.: no Mexican rail reliability figure in the reference set; "
                             f"{src(ref, 'rail gateway closures, 2023')}", estimate=True))
    return out


def ocean_legs(ref: Reference, links: list[Row]) -> list[Row]:
    """Late vessels as a continuous delay: the mean days late of late vessels (as before), spread as a
    lognormal (sigma est.) instead of a fixed 3.8 d."""
    out = []
    for row in links:
        if row["mode"] != "ocean":
            continue
        prob, mean_h = row["delay_prob"], row["delay_h"]
        median = mean_h / math.exp(LATE_VESSEL_SIGMA**2 / 2)
        out.append(event(row["id"], "late_vessel", prob, median, lognormal_p95(median, LATE_VESSEL_SIGMA),
                         f"derived: mean {mean_h / 24:.2f} d late (as delay_h before), lognormal sigma "
                         f"{LATE_VESSEL_SIGMA:g} (est.: continuous, right-skewed); {src(ref, 'schedule reliability')}",
                         estimate=False))
        row["delay_prob"], row["delay_h"] = None, None
        row["source"] += "; late vessels: legs.csv late_vessel (continuous delay)"
    return out


def node_legs(ref: Reference, nodes: list[Row]) -> list[Row]:
    """Dwell spreads and events of plants, ports, hubs, crossings and terminals."""
    out = []
    truck_sigma = sum(PORT_DWELL_SIGMA["truck"]) / 2
    rail_sigma = sum(PORT_DWELL_SIGMA["rail"]) / 2
    by_id = {n["id"]: n for n in nodes}
    secondary = first_number(SECONDARY_PATTERN, ref.legs["CBP scanning / secondary"][0]) / 100
    for n in nodes:
        i, kind, dwell = n["id"], n["kind"], n["dwell_h"]
        if kind == "plant":
            n["dwell_p95_h"] = PLANT_DWELL_P95_H
            n["source"] += f"; spread: p95 {PLANT_DWELL_P95_H:g} h (est.)"
        elif kind == "origin":
            n["source"] += "; clock: calendars.csv weekly sailing replaces the dwell in the sampler"
        elif kind == "seaport":
            mode = "rail" if i == "Lazaro_Cardenas" else "truck"
            sigma = rail_sigma if mode == "rail" else truck_sigma
            n["dwell_p95_h"] = lognormal_p95(dwell, sigma)
            n["source"] += (f"; container-level spread: lognormal sigma {sigma:.3f} ({mode}-bound, PMSA fit; "
                            f"{src(ref, 'port dwell, container level')}) replaces the monthly-range p95")
            prob = n["delay_prob"]
            n["delay_prob"], n["delay_h"] = None, None
            if n["country"] == "US":
                out += [event(i, part, prob * share, lo * 24, hi * 24,
                              f"exam rate {prob:g} x share {share:g} (share est.); {src(ref, 'customs')}",
                              estimate=True) for part, share, lo, hi in EXAM_MIX]
                out.append(event(i, "fda_hold", FDA_HOLD[0], FDA_HOLD[1], FDA_HOLD[2],
                                 f"est. rate and hours; {src(ref, 'customs')}", estimate=True,
                                 commodity="medical_devices"))
            else:
                out.append(event(i, "red_light", prob, 60.0, 72.0,
                                 "red-light secondary review '+2-3 days' (seaports_and_ocean.csv), rate est.",
                                 estimate=True))
        elif kind == "rail_terminal" and i in US_RAMPS.values() and dwell > 0:
            port = next(p for p, ramp in US_RAMPS.items() if ramp == i)
            t = by_id[port]["dwell_h"]
            rail_total = t + dwell
            mean_t, var_t = t * math.exp(truck_sigma**2 / 2), (t * math.exp(truck_sigma**2 / 2))**2 * (
                math.exp(truck_sigma**2) - 1)
            mean_r = rail_total * math.exp(rail_sigma**2 / 2)
            var_r = mean_r**2 * (math.exp(rail_sigma**2) - 1)
            median, sigma = moment_lognormal(mean_r - mean_t, max(var_r - var_t, 1e-9))
            n["dwell_p95_h"] = max(lognormal_p95(median, sigma), dwell * (1 + 1e-6))
            n["source"] += (f"; container-level spread: the rail-bound total (port + ramp) has the PMSA rail sigma "
                            f"{rail_sigma:.3f}: ramp = moment fit to its mean and variance minus the truck-bound "
                            f"part's ({src(ref, 'port dwell, container level')})")
        elif kind == "rail_terminal":
            n["source"] += "; clock: calendars.csv daily train replaces the dwell in the sampler"
        elif kind == "hub" and i.endswith("_RAIL"):
            n["dwell_p95_h"] = dwell * RAIL_YARD_P95_RATIO
            n["source"] += f"; spread: p95 = dwell_h x {RAIL_YARD_P95_RATIO:g} (est.)"
        elif kind == "hub" and n["country"] == "MX":
            n["dwell_p95_h"] = MX_YARD_P95_H
            n["source"] += f"; spread: p95 {MX_YARD_P95_H:g} h ({src(ref, 'border yard (MX side)')})"
            for part, (prob, lo, hi) in (("red_light", RED_LIGHT_CLEAN[:1] + RED_LIGHT_CLEAN[1:]),
                                         ("red_light_discrepancy", RED_LIGHT_DISCREPANCY)):
                out.append(event(i, part, prob, lo, hi,
                                 f"est. (no public rate; sensitivity range 5-20 %); "
                                 f"{src(ref, 'red light (Mexican export inspection)')}", estimate=True))
        elif kind == "hub":
            n["dwell_p95_h"] = US_YARD_P95_H
            n["source"] += f"; spread: p95 {US_YARD_P95_H:g} h, next-day pickup (est.; {src(ref, 'US-side yard')})"
            out.append(event(i, "fda_hold", FDA_HOLD[0], FDA_HOLD[1], FDA_HOLD[2],
                             f"est. rate and hours; {src(ref, 'customs')}", estimate=True, commodity="medical_devices"))
        elif kind == "border_crossing" and n["dwell_p95_h"] is None:
            n["dwell_p95_h"] = max(CROSSING_PROCESSING_P95_H, dwell * 2)
            n["source"] += f"; spread: processing p95 {n['dwell_p95_h']:g} h (est.)"
        if kind == "border_crossing" and i.startswith("POE_"):
            out.append(event(i, "secondary_inspection", secondary, *SECONDARY_H,
                             f"rate: NII scanning of {secondary:.0%} of cargo vehicles; hours est.; "
                             f"{src(ref, 'CBP scanning / secondary')}", estimate=False))
    return out


def weekly_hours_text(text: str) -> str:
    """A ``commercial_hours`` text as a networks.calendar weekly calendar (same reading rule as
    :func:`weekly_open_hours`)."""
    names = {"M-F": "mon-fri", "Sat-Sun": "sat-sun", "Sat": "sat", "Sun": "sun"}
    covered: set[str] = set()
    parts = []
    for match in re.finditer(HOURS_PATTERN, text):
        spec = match.group(1) or HOURS_DEFAULT_DAYS
        if covered & set(HOURS_DAYS[spec]):
            break
        covered |= set(HOURS_DAYS[spec])
        parts.append(f"{names[spec]} {match.group(2)}:{match.group(3)}-{match.group(4)}:{match.group(5)}")
    return "; ".join(parts)


def calendar_rows(ref: Reference, nodes: list[Row]) -> list[Row]:
    """Weekly sailings at the Asian origins, daily trains at Mexican terminals, Mexican customs hours
    at the border-city yards."""
    blank = sum(BLANK_SAILING_PCT) / 2 / 100
    miss = 1 - (1 - blank) * (1 - NORMAL_ROLL_PROB)
    out = []
    for n in nodes:
        if n["kind"] == "origin":
            out.append({"node": n["id"], "calendar": "departures", "weekly": SAILING_DAY, "cutoff_h": SAILING_CUTOFF_H,
                        "miss_prob": miss, "estimate": False,
                        "source": (f"weekly sailing ({src(ref, 'sailing frequency')}; day est.); cut-off "
                                   f"{SAILING_CUTOFF_H:g} h ({src(ref, 'factory -> origin port, export release')}); "
                                   f"miss = 1 - (1 - blank {blank:.3f}) x (1 - roll {NORMAL_ROLL_PROB:g}, est.): "
                                   f"{src(ref, 'blank sailings')}; {src(ref, 'rollover')}")})
        elif n["kind"] == "rail_terminal" and n["country"] == "MX":
            out.append({"node": n["id"], "calendar": "departures", "weekly": TRAIN_DEPARTURE, "cutoff_h": 0.0,
                        "miss_prob": 0.0, "estimate": True,
                        "source": "est.: about one train a day from Mexican inland terminals (RAIL_TERMINAL_DWELL_H)"})
        elif n["kind"] == "hub" and n["country"] == "MX" and not n["id"].endswith("_RAIL"):
            out.append({"node": n["id"], "calendar": "open", "weekly": MX_CUSTOMS_HOURS, "cutoff_h": 0.0,
                        "miss_prob": 0.0, "estimate": False,
                        "source": f"Mexican customs working hours, days est.: {src(ref, 'border yard (MX side)')}"})
    return out


BORDER_STATES = {"TX": "texas_border", "NM": "west_border", "AZ": "west_border", "CA": "west_border"}
PORT_DOMAIN = {"Los_Angeles_Long_Beach": "us_west_ports", "Oakland": "us_west_ports", "Seattle_Tacoma": "us_west_ports",
               "Houston": "us_east_gulf_ports", "Savannah": "us_east_gulf_ports",
               "Manzanillo_MX": "mx_pacific_ports", "Lazaro_Cardenas": "mx_pacific_ports"}


def set_shock_domains(ref: Reference, nodes: list[Row], links: list[Row], by_node: dict[str, Row]) -> None:
    """The shock domain of each leg: the transpacific (ocean), each port complex (ports and their
    ramps), each border region (crossings and their yards), the Mexican rail network, plant power
    in Nuevo León."""
    poe_domain = {p: BORDER_STATES[r["us_state"]] for p, r in ref.poes.items()}
    hub_domain = {}
    for poe, (mx_hub, us_hub) in TRUCK_CROSSING_HUBS.items():
        hub_domain[mx_hub] = hub_domain[us_hub] = poe_domain[poe]
    for poe, mx_yard, _, _, us_yard, _, _ in RAIL_YARDS:
        hub_domain[mx_yard] = hub_domain[us_yard] = poe_domain[poe]
    ramps = {ramp: port for port, ramp in US_RAMPS.items()}
    for n in nodes:
        i = n["id"]
        n["shock_domain"] = (PORT_DOMAIN.get(i) or PORT_DOMAIN.get(ramps.get(i, "")) or poe_domain.get(i)
                             or hub_domain.get(i) or ("mx_power_nl" if n["kind"] == "plant"
                                                      and n["region"] == "Nuevo Leon" else None))
    for row in links:
        row["shock_domain"] = ("transpacific" if row["mode"] == "ocean" else "mx_rail" if row["id"].startswith("RL_")
                               else None)


REGIMES = (  # domain, state, to_normal, to_peak, to_disrupted, time_scale, event_scale, closure_prob, closure_h, why
    ("transpacific", "normal", 0.95, 0.04, 0.01, 1.0, 1.0, 0.0, 0.0, "schedule reliability"),
    ("transpacific", "peak", 0.10, 0.88, 0.02, 1.49, 1.2, 0.0, 0.0, "West Coast congestion, 2021–22 and Sep-2024"),
    ("transpacific", "disrupted", 0.08, 0.0, 0.92, 2.5, 1.5, 0.0, 0.0, "rollover"),
    ("us_west_ports", "normal", 0.96, 0.03, 0.01, 1.0, 1.0, 0.0, 0.0, "port dwell, container level"),
    ("us_west_ports", "peak", 0.12, 0.86, 0.02, 1.48, 1.0, 0.0, 0.0, "dwell regimes"),
    ("us_west_ports", "disrupted", 0.08, 0.0, 0.92, 2.6, 1.5, 0.0, 0.0, "dwell regimes"),
    ("us_east_gulf_ports", "normal", 0.98, 0.015, 0.005, 1.0, 1.0, 0.0, 0.0, "customs"),
    ("us_east_gulf_ports", "peak", 0.2, 0.8, 0.0, 1.3, 1.0, 0.0, 0.0, "customs"),
    ("us_east_gulf_ports", "disrupted", 0.7, 0.0, 0.3, 1.0, 1.0, 1.0, 84.0, "ILA strike, Oct-2024"),
    ("texas_border", "normal", 0.97, 0.025, 0.005, 1.0, 1.0, 0.0, 0.0, "CBP queue"),
    ("texas_border", "peak", 0.25, 0.74, 0.01, 1.5, 1.5, 0.0, 0.0, "CBP officer reassignment, Apr-2019"),
    ("texas_border", "disrupted", 0.75, 0.0, 0.25, 5.0, 3.0, 0.1, 36.0, "Texas DPS inspections, Apr-2022"),
    ("west_border", "normal", 0.98, 0.015, 0.005, 1.0, 1.0, 0.0, 0.0, "CBP queue"),
    ("west_border", "peak", 0.25, 0.74, 0.01, 1.5, 1.5, 0.0, 0.0, "CBP officer reassignment, Apr-2019"),
    ("west_border", "disrupted", 0.6, 0.0, 0.4, 3.0, 2.0, 0.5, 84.0, "World Trade Bridge storm closure, May-2023"),
    ("mx_rail", "normal", 0.98, 0.015, 0.005, 1.0, 1.0, 0.0, 0.0, "rail gateway closures, 2023"),
    ("mx_rail", "peak", 0.2, 0.78, 0.02, 1.3, 2.0, 0.0, 0.0, "rail gateway closures, 2023"),
    ("mx_rail", "disrupted", 0.5, 0.0, 0.5, 1.5, 3.0, 0.6, 84.0, "rail gateway closures, 2023"),
    ("mx_pacific_ports", "normal", 0.97, 0.02, 0.01, 1.0, 1.0, 0.0, 0.0, "berth wait"),
    ("mx_pacific_ports", "peak", 0.2, 0.78, 0.02, 1.4, 2.0, 0.0, 0.0, "berth wait"),
    ("mx_pacific_ports", "disrupted", 0.2, 0.0, 0.8, 2.0, 10.0, 0.2, 48.0, "Manzanillo, 2025"),
    ("mx_power_nl", "normal", 0.97, 0.02, 0.01, 1.0, 1.0, 0.0, 0.0, "NL power, Jul-2025"),
    ("mx_power_nl", "peak", 0.3, 0.65, 0.05, 1.5, 1.0, 0.0, 0.0, "NL power, Jul-2025"),
    ("mx_power_nl", "disrupted", 0.7, 0.0, 0.3, 1.0, 1.0, 0.3, 4.0, "NL power, Jul-2025"),
)
SEASON = {"transpacific": (0.5, 36.0), "us_west_ports": (0.5, 38.0)}  # est.: peak season Aug-Oct (amplitude, week)
SEASON_COMMON = (0.3, 36.0)  # est.: the common seasonal factor every other domain feels (Q3 import peak)


def regime_rows(ref: Reference) -> list[Row]:
    """regimes.csv: weekly Markov chains (normal / peak / disrupted) per shock domain. The peak and
    disrupted states' scales come from the episodes of leg_variability.md; the transition
    probabilities (persistence) are est.: a disrupted week lasts about as long as its episode."""
    out = []
    for domain, state, n, p, d, time_scale, event_scale, closure_prob, closure_h, why in REGIMES:
        amplitude, week = SEASON.get(domain, SEASON_COMMON) if state == "normal" else (0.0, 0.0)
        out.append({"domain": domain, "state": state, "to_normal": n, "to_peak": p, "to_disrupted": d,
                    "time_scale": time_scale, "event_scale": event_scale, "closure_prob": closure_prob,
                    "closure_h": closure_h, "seasonal_amplitude": amplitude, "peak_week": week, "estimate": True,
                    "source": (f"scales from {src(ref, why)}; transition probabilities (persistence) and season est."
                               if state != "normal" else f"est. transition probabilities; {src(ref, why)}")})
    return out


TARIFF_SOURCES = {
    "USMCA": "USMCA, HTSUS General Note 11 (https://hts.usitc.gov ; https://ustr.gov/trade-agreements/free-trade-"
             "agreements/united-states-mexico-canada-agreement)",
    "KORUS": "KORUS FTA, HTSUS General Note 33 (https://hts.usitc.gov ; https://ustr.gov/trade-agreements/"
             "free-trade-agreements/korus-fta)",
    "MFN": "HTSUS column 1 general rates (https://hts.usitc.gov)",
    "301": "Section 301 China tariff actions, Lists 1-4A (https://ustr.gov/issue-areas/enforcement/"
           "section-301-investigations/tariff-actions)",
}
# est. MFN rate of each commodity group: the typical column-1 general rate of its main HTS headings
MFN_PCT = {"auto_parts": 2.5, "electronics": 1.5, "appliances": 2.0, "medical_devices": 0.0}
# HTS 8708 parts 2.5 %; ch. 85 equipment mostly 0-2.6 %; 8418/8450/8516 appliances 0-2.7 %; 9018 instruments Free
SECTION_301_PCT = {"auto_parts": 25.0, "electronics": 25.0, "appliances": 25.0, "medical_devices": 7.5}
# Lists 1-3 at 25 %; most medical devices are on List 4A at 7.5 %
TARIFF_ORIGINS = (  # country, basis: how the rate is made, from 2024 rules (2025 IEEPA/reciprocal duties not included)
    ("MX", "USMCA"), ("CN", "MFN+301"), ("KR", "KORUS"), ("TW", "MFN"), ("VN", "MFN"),
)


def tariff_rows() -> list[Row]:
    """tariffs.csv: duty by origin country and commodity. Only the USMCA 0 % is not illustrative."""
    out = []
    for country, basis in TARIFF_ORIGINS:
        for commodity in COMMODITY_SHARE:
            mfn, s301 = MFN_PCT[commodity], SECTION_301_PCT[commodity]
            if basis == "USMCA":
                duty, text, src = 0.0, "USMCA-qualifying goods: Free", TARIFF_SOURCES["USMCA"]
            elif basis == "KORUS":
                duty, text, src = 0.0, "KORUS-qualifying goods: Free", TARIFF_SOURCES["KORUS"]
            elif basis == "MFN":
                duty, text, src = mfn, f"MFN {mfn:g} % (est. for the group)", TARIFF_SOURCES["MFN"]
            else:
                duty, text = mfn + s301, f"MFN {mfn:g} % (est. for the group) + Section 301 {s301:g} %"
                src = f"{TARIFF_SOURCES['MFN']} ; {TARIFF_SOURCES['301']}"
            out.append({"country": country, "commodity": commodity, "duty_pct": duty,
                        "illustrative": "false" if basis == "USMCA" else "true",
                        "basis": f"{text}; 2024 rules, 2025 IEEPA/reciprocal/232 duties not included", "source": src})
    return out


# ================================================================================================
# Assembly and output
# ================================================================================================


def build(ref: Reference) -> dict[str, list[Row]]:
    """All tables as lists of rows, in a fixed order."""
    check_hours_of_service(ref.legs)
    plants = plant_nodes(ref)
    commodities = commodity_rows()
    supply = supply_rows(ref)
    add_power_and_water(plants, supply, commodities)
    nodes = (plants + origin_nodes() + seaport_nodes(ref) + rail_terminal_nodes(ref) + hub_nodes(ref)
             + crossing_nodes(ref) + market_nodes(ref))
    by_id = {n["id"]: n for n in nodes}
    coords = {n["id"]: (n["lat"], n["lon"]) for n in nodes}
    circuity = ref.mx_road_circuity(coords)
    rail_starts = {n["id"]: n for n in nodes if n["kind"] == "rail_terminal" and n["country"] == "MX"}
    rail_starts |= {mx: by_id[mx] for _, mx, *_ in RAIL_YARDS}
    links = (mexico_truck_links(plants, by_id, circuity) + plant_rail_drayage(plants, rail_starts, circuity)
             + mexico_rail_links(ref, coords) + crossing_links(ref, by_id) + us_truck_links(ref, by_id)
             + us_rail_links(ref, by_id, coords) + ocean_links(ref) + border_road_links(by_id, circuity))
    add_variability(ref, nodes, links)
    crossings = crossing_rows(ref, by_id)
    background_supply, background_demand = background_rows(ref, crossings)
    route_background(crossings, by_id)
    library = leg_library(ref, nodes, links, crossings)
    return {"nodes": nodes, "links": links,
            "commodities": commodities + [background_commodity_row(ref)],
            "supply": supply + background_supply, "demand": demand_rows(ref) + background_demand,
            "crossings": crossings, "tariffs": tariff_rows(), "observed": observed_rows(ref), **library}


def observed_rows(ref: Reference) -> list[Row]:
    """observed.csv: the 2024 figures the as-operated base case is checked against (``nearshore calibrate``).

    Per crossing the NB trucks (truck POEs) or loaded NB rail boxes (rail crossings) per day and the
    background that is not modelled freight; the rail share of loaded units; per US seaport the
    inbound loaded TEU; and the bands of issue 12.
    """
    out = []
    lpt, growth = ref.loads_per_train(), ref.nearshoring_headroom()
    for r in ref.poes.values():
        if r["mode"] == "truck":
            out.append({"measure": "nb_trucks_per_day", "id": r["poe_id"],
                        "value": num(r["nb_trucks_2024"]) / DAYS_PER_YEAR, "unit": "trucks/day",
                        "source": f"nb_trucks_2024 / 365; {r['source']}"})
            background = truck_background(r, growth)
        else:
            boxes = num(r["nb_rail_containers_loaded_2024"]) or 0
            out.append({"measure": "nb_loaded_rail_boxes_per_day", "id": r["poe_id"], "value": boxes / DAYS_PER_YEAR,
                        "unit": "boxes/day", "source": f"nb_rail_containers_loaded_2024 / 365; {r['source']}"})
            background = rail_background(r, lpt, growth)
        out.append({"measure": "background_loads_per_day", "id": r["poe_id"], "value": background, "unit": "loads/day",
                    "source": "derived: 2024 NB traffic that is not modelled freight x growth (see supply.csv "
                              "background rows)"})
    trucks = ref.nb_trucks_per_day() * DAYS_PER_YEAR
    boxes = sum(num(r["nb_rail_containers_loaded_2024"]) or 0 for r in ref.rail_poes())
    loaded = trucks * LOADED_SHARE_NB_TRUCKS
    out.append({"measure": "rail_share_of_loaded_units", "id": "border", "value": boxes / (boxes + loaded),
                "unit": "share", "source": (f"derived: {boxes:,.0f} loaded NB rail boxes / (boxes + {trucks:,.0f} NB "
                                            f"trucks x {LOADED_SHARE_NB_TRUCKS:g} loaded); headline_figures.md (BTS)")})
    out.append({"measure": "rail_share_of_all_units", "id": "border", "value": boxes / (boxes + trucks),
                "unit": "share", "source": "derived: loaded NB rail boxes / (boxes + NB trucks); headline_figures.md"})
    for port, (teu, how) in US_PORT_INBOUND_TEU_2024.items():
        out.append({"measure": "inbound_loaded_teu", "id": port, "value": float(teu), "unit": "TEU/year",
                    "source": f"{how}; {US_PORT_TEU_SOURCE}"})
    for key, value in CALIBRATION_BANDS.items():
        lo, hi = value if isinstance(value, tuple) else (None, value)
        for bound, number in (("min", lo), ("max", hi)):
            if number is not None:
                name = key.removesuffix("_max").removesuffix("_min")
                out.append({"measure": f"band_{bound}", "id": name, "value": float(number), "unit": "",
                            "source": "issue 12 (Today's border, reproduced)"})
    return out


def route_background(crossings: list[Row], by_id: dict[str, Row]) -> None:
    """The background becomes routed flow (:func:`background_rows`): each queued crossing's node
    throughput grows by its background (the lanes carry all traffic up to RHO_MAX), and the
    crossings.csv ``background_loads_per_day`` that would queue without being routed is 0."""
    for row in crossings:
        background = row.pop("background_loads_per_day")
        row["background_loads_per_day"] = 0.0
        node_row = by_id[row["node"]]
        node_row["throughput_loads_per_day"] = round(node_row["throughput_loads_per_day"], 1) + background
        row["source"] = row["source"].replace("background = ", "background (routed as the background commodity, "
                                                                 "not a fixed load here) = ", 1)
    for node_id in dict.fromkeys(r["node"] for r in crossings):
        by_id[node_id]["source"] = ("all NB traffic: modelled freight + the routed background; "
                                    + by_id[node_id]["source"])


DECIMALS = {  # rounding per column (everything else: 2 decimals)
    "value": 4,
    "lat": 4, "lon": 4, "throughput_loads_per_day": 1, "dwell_h": 2, "power_mw": 1, "water_m3_per_day": 0,
    "transit_h": 2, "capacity_loads_per_day": 1, "cost_usd_per_load": 0, "distance_km": 1,
    "value_usd_per_load": 0, "power_mwh_per_load": 2, "water_m3_per_load": 1, "loads_per_day": 1,
    "dwell_p95_h": 2, "transit_p95_h": 2, "delay_prob": 3, "delay_h": 2, "duty_pct": 2,
    "lanes": 5, "reference_lanes": 5, "loads_per_lane_hour": 5, "open_h_per_day": 4, "reference_loads_per_day": 2, "background_loads_per_day": 2,
    "wait_typical_h": 4, "wait_p95_h": 4, "prob": 5, "typical_h": 2, "p95_h": 2, "cutoff_h": 2, "miss_prob": 4,
    "to_normal": 4, "to_peak": 4, "to_disrupted": 4, "time_scale": 3, "event_scale": 3, "closure_prob": 3,
    "closure_h": 2, "seasonal_amplitude": 3, "peak_week": 1,
}


TABLES = (("nodes", NODE_COLUMNS), ("links", LINK_COLUMNS), ("commodities", COMMODITY_COLUMNS),
          ("supply", SUPPLY_COLUMNS), ("demand", DEMAND_COLUMNS), ("crossings", CROSSING_COLUMNS),
          ("tariffs", TARIFF_COLUMNS), ("observed", OBSERVED_COLUMNS), ("legs", LEG_COLUMNS),
          ("calendars", CALENDAR_COLUMNS), ("regimes", REGIME_COLUMNS))
CHECK_SHOW_ROWS = 3  # differing rows shown per file by --check


def render_table(columns: Iterable[str], table: list[Row]) -> str:
    """One table as UTF-8 CSV text with a header, '\\n' line ends and rounded numbers."""
    columns = tuple(columns)
    handle = io.StringIO()
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(columns)
    for row in table:
        writer.writerow([fmt(row[c], DECIMALS.get(c, 2)) for c in columns])
    return handle.getvalue()


def render(tables: dict[str, list[Row]]) -> dict[str, str]:
    """File name -> CSV text of every output table."""
    return {f"{name}.csv": render_table(columns, tables[name]) for name, columns in TABLES}


def cell_excerpt(text: str, other: str, width: int = 60) -> str:
    """``text`` cut to ``width`` characters around where it first differs from ``other``."""
    if len(text) <= width:
        return text
    start = max(0, next((i for i, (a, b) in enumerate(zip(text, other)) if a != b), min(len(text), len(other))) - 20)
    return ("..." if start else "") + text[start:start + width] + ("..." if start + width < len(text) else "")


def diff_summary(name: str, shipped: str | None, fresh: str) -> list[str]:
    """Lines saying how a shipped table differs from a fresh build (empty when equal): the number of
    differing rows and, for the first CHECK_SHOW_ROWS, the row's id and its changed cells."""
    if shipped == fresh:
        return []
    new = list(csv.reader(io.StringIO(fresh)))
    if shipped is None:
        return [f"{name}: missing (a fresh build has {len(new) - 1} rows)"]
    old = list(csv.reader(io.StringIO(shipped)))
    if old[:1] != new[:1]:
        return [f"{name}: header differs: shipped {old[:1]}, fresh {new[:1]}"]
    header = new[0]
    pairs = [(i, a, b) for i, (a, b) in enumerate(zip(old[1:], new[1:]), start=1) if a != b]
    count = len(pairs) + abs(len(old) - len(new))
    out = [f"{name}: {count} of {len(new) - 1} rows differ"
           + (f" ({len(old) - 1} rows shipped, {len(new) - 1} fresh)" if len(old) != len(new) else "")]
    for i, a, b in pairs[:CHECK_SHOW_ROWS]:
        cells = [f"{c}: {cell_excerpt(x, y)!r} -> {cell_excerpt(y, x)!r}" for c, x, y in zip(header, a, b, strict=False)
                 if x != y]
        out.append(f"  row {i} ({b[0]}): " + "; ".join(cells))
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: read the reference folder, write the seven CSV tables (or ``--check`` them).

    Returns the exit code: 0 written or up to date, 1 ``--check`` found stale tables.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE, help="reference-data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 with a diff summary if the tables in --out differ from a fresh build")
    args = parser.parse_args(argv)
    texts = render(build(Reference(read_reference(args.reference), read_leg_figures(args.reference))))
    if args.check:
        lines = [line for name, text in texts.items() for line in diff_summary(
            name, (args.out / name).read_text(encoding="utf-8") if (args.out / name).is_file() else None, text)]
        if lines:
            print("\n".join([f"stale tables in {args.out}; rebuild with python -m networks.data.build_mx_us", *lines]))
            return 1
        print(f"{args.out}: {len(texts)} tables equal a fresh build")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (args.out / name).write_text(text, encoding="utf-8", newline="")
        print(f"wrote {args.out / name}: {text.count(chr(10)) - 1} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
