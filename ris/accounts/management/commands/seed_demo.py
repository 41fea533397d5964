"""Load demonstration data: one user per role, a procedure catalog, rooms, modalities, patients and orders.

Safe to run again: what exists is left as it is. Never run it against a production database.
"""

from __future__ import annotations

import datetime as dt
import random
from importlib import import_module

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from ris.accounts.choices import Role
from ris.accounts.models import ProviderProfile, User
from ris.equipment.models import Modality, Room
from ris.orders import services as order_services
from ris.orders.models import Procedure
from ris.patients import services as patient_services
from ris.patients.choices import ConsentDecision, ConsentKind
from ris.patients.models import Patient

DEMO_PASSWORD = "lumen-demo"
# Apps that add demo data after the patients and orders, in this order (scheduling books and performs exams,
# reporting reports some of them, billing codes the completed ones).
DEMO_APPS = ["scheduling", "reporting", "billing", "ris.hl7"]

USERS = [
    # username, first, last, roles, NPI
    ("frontdesk", "Fiona", "Desk", [Role.FRONT_DESK], None),
    ("tech", "Tomas", "Tech", [Role.TECHNOLOGIST], None),
    ("radiologist", "Rita", "Rad", [Role.RADIOLOGIST], "1234567893"),
    ("billing", "Bill", "Ing", [Role.BILLING], None),
    ("drhouse", "Gregory", "House", [Role.REFERRING_PHYSICIAN], "1245319599"),
    ("drwho", "John", "Smith", [Role.REFERRING_PHYSICIAN], "1386719417"),
    ("admin", "Ada", "Admin", [Role.ADMIN], None),
]

PROCEDURES = [
    # code, name, modality, CPT, body part, minutes, contrast, preparation
    ("CT-HEAD", "CT head without contrast", "CT", "70450", "HEAD", 15, False, ""),
    (
        "CT-CHEST-C",
        "CT chest with contrast",
        "CT",
        "71260",
        "CHEST",
        20,
        True,
        "Bring a recent creatinine result. Drink water before the exam.",
    ),
    (
        "CT-AP-C",
        "CT abdomen and pelvis with contrast",
        "CT",
        "74177",
        "ABDOMEN",
        20,
        True,
        "Nothing to eat for 4 hours before the exam. Arrive 60 minutes early to drink oral contrast.",
    ),
    (
        "MR-BRAIN",
        "MRI brain without and with contrast",
        "MR",
        "70553",
        "BRAIN",
        45,
        True,
        "Remove all metal. Tell us about pacemakers, implants or claustrophobia.",
    ),
    ("MR-KNEE", "MRI knee without contrast", "MR", "73721", "KNEE", 30, False, "Remove all metal."),
    ("MR-LSPINE", "MRI lumbar spine without contrast", "MR", "72148", "LSPINE", 30, False, "Remove all metal."),
    ("XR-CHEST", "X-ray chest, 2 views", "DX", "71046", "CHEST", 10, False, ""),
    ("XR-HAND", "X-ray hand, 3 views", "DX", "73130", "HAND", 10, False, ""),
    (
        "US-ABD",
        "Ultrasound abdomen, complete",
        "US",
        "76700",
        "ABDOMEN",
        30,
        False,
        "Nothing to eat or drink for 8 hours before the exam.",
    ),
    (
        "US-PELVIS",
        "Ultrasound pelvis",
        "US",
        "76856",
        "PELVIS",
        30,
        False,
        "Drink 1 litre of water one hour before; do not empty your bladder.",
    ),
    (
        "MG-SCREEN",
        "Screening mammography, bilateral",
        "MG",
        "77067",
        "BREAST",
        20,
        False,
        "Do not use deodorant, powder or lotion on the day of the exam.",
    ),
    (
        "NM-BONE",
        "Bone scan, whole body",
        "NM",
        "78306",
        "WHOLEBODY",
        60,
        False,
        "The tracer is injected 3 hours before imaging; drink plenty of water in between.",
    ),
]

MODALITIES = [
    # name, type, room, AE title, port, services
    ("CT Scanner 1", "CT", "CT Room 1", "LUMEN_CT1", 11112, ["echo", "store", "worklist", "mpps"]),
    ("MRI 1.5T", "MR", "MRI Suite", "LUMEN_MR1", 11113, ["echo", "store", "worklist", "mpps"]),
    ("DR Room A", "DX", "X-ray Room A", "LUMEN_DX1", 11114, ["echo", "store", "worklist"]),
    ("Ultrasound 1", "US", "Ultrasound Bay", "LUMEN_US1", 11115, ["echo", "store", "worklist"]),
    ("Mammography 1", "MG", "Breast Imaging", "LUMEN_MG1", 11116, ["echo", "store", "worklist", "mpps"]),
    ("Reading workstation", "OT", None, "LUMEN_WS1", 11117, ["echo", "find", "move", "get"]),
]

FAMILY = [
    "Müller",
    "García",
    "Nguyễn",
    "O'Brien",
    "Smith",
    "Johnson",
    "Kowalski",
    "Ørsted",
    "Dubois",
    "Rossi",
    "Schmidt",
    "Fernández",
    "Yamamoto",
    "Okafor",
    "Jensen",
    "Novák",
    "Silva",
    "Cohen",
    "Brown",
    "Hernández",
]
GIVEN_F = ["Zoë", "Anna", "María", "Chloé", "Johanna", "Mei", "Amara", "Ingrid", "Lucía", "Sofia"]
GIVEN_M = ["José", "Jürgen", "Liam", "Noah", "Björn", "Kenji", "Chinedu", "Luca", "Tomás", "David"]
REASONS = [
    ("Persistent headache, rule out mass", ["R51.9"]),
    ("Chest pain on exertion", ["R07.9"]),
    ("Right lower quadrant pain", ["R10.31"]),
    ("Knee pain after fall", ["M25.561"]),
    ("Low back pain radiating to left leg", ["M54.42"]),
    ("Cough for three weeks", ["R05.9"]),
    ("Screening", ["Z12.31"]),
    ("Hypertension follow-up", ["I10"]),
]


class Command(BaseCommand):
    help = "Load demonstration users, catalog, equipment, patients and orders (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=30, help="Demo patients to create (default 30).")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on: demo users must never reach a production site.")
        with transaction.atomic():
            users = self._users()
            self._equipment()
            self._dicom_nodes()
            procedures = self._procedures()
            created = self._patients_and_orders(users, procedures, options["patients"])
            for name in DEMO_APPS:
                # Each app seeds its own part through its own services (``<app>/demo.py``: ``seed(users, stdout)``).
                if module_has_submodule(import_module(name), "demo"):
                    import_module(f"{name}.demo").seed(users=users, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new patients)."))
        self.stdout.write(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
        for username, _first, _last, roles, _npi in USERS:
            self.stdout.write(f"  {username:<12} {', '.join(Role(r).label for r in roles)}")

    def _users(self) -> dict[str, User]:
        users = {}
        for username, first, last, roles, npi in USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@example.org"}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                user.groups.set(Group.objects.filter(name__in=roles))
            if npi and not hasattr(user, "provider_profile"):
                ProviderProfile.objects.create(
                    user=user, npi=npi, specialty="Radiology" if "rad" in username else "Internal medicine"
                )
            users[username] = user
        return users

    def _equipment(self) -> None:
        for name, kind, room_name, ae_title, port, services in MODALITIES:
            room = Room.objects.get_or_create(name=room_name, defaults={"site": "Main"})[0] if room_name else None
            Modality.objects.get_or_create(
                ae_title=ae_title,
                defaults={
                    "name": name,
                    "modality_type": kind,
                    "room": room,
                    "host": "127.0.0.1",
                    "port": port,
                    "services": services,
                    "manufacturer": "Demo",
                },
            )

    def _dicom_nodes(self) -> None:
        """DCMTK's and pynetdicom's default calling AE titles, so their tools work against the demo at once."""
        from pacs.models import DicomNode

        everything = ["echo", "store", "find", "move", "get", "commit"]
        for ae_title in ("ECHOSCU", "STORESCU", "FINDSCU", "MOVESCU", "GETSCU", "PYNETDICOM"):
            DicomNode.objects.get_or_create(
                ae_title=ae_title,
                defaults={"host": "127.0.0.1", "port": 11113, "services": everything, "description": "Demo tools"},
            )

    def _procedures(self) -> list[Procedure]:
        procedures = []
        for code, name, kind, cpt, body, minutes, contrast, prep in PROCEDURES:
            procedure, _ = Procedure.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "modality_type": kind,
                    "cpt_code": cpt,
                    "body_part": body,
                    "default_duration": minutes,
                    "contrast": contrast,
                    "preparation_instructions": prep,
                },
            )
            procedures.append(procedure)
        return procedures

    def _patients_and_orders(self, users, procedures, count: int) -> int:
        if Patient.objects.filter(created_by=users["frontdesk"]).exists():
            return 0
        rng = random.Random(2026)
        desk = users["frontdesk"]
        referrers = [users["drhouse"], users["drwho"]]
        # Orders are only entered here; scheduling's demo books, performs and completes them through its services.
        for index in range(count):
            female = index % 2 == 0
            patient = patient_services.register_patient(
                actor=desk,
                family_name=FAMILY[index % len(FAMILY)],
                given_name=rng.choice(GIVEN_F if female else GIVEN_M),
                birth_date=dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 30000)),
                sex="F" if female else "M",
                phone=f"+1 555 01{index:02d}",
                city="Springfield",
            )
            patient_services.record_consent(
                patient=patient, actor=desk, kind=ConsentKind.IMAGING_STORAGE, decision=ConsentDecision.GRANTED
            )
            if index % 3 == 0:
                patient_services.add_coverage(
                    patient=patient,
                    actor=desk,
                    payer_name="Acme Health",
                    plan_name="PPO",
                    member_id=f"ACM{100000 + index}",
                )
            for _ in range(rng.randint(1, 2)):
                reason, codes = rng.choice(REASONS)
                order_services.create_order(
                    actor=desk,
                    patient=patient,
                    procedure=rng.choice(procedures),
                    reason=reason,
                    icd10_codes=codes,
                    priority=rng.choice(["routine"] * 6 + ["urgent", "stat"]),
                    referring_physician=rng.choice(referrers),
                )
        return count
