"""CBV 2.0 and EPCIS 2.0 vocabularies as constants.

The EPCIS 2.0 JSON binding writes standard vocabulary values as bare words (``"shipping"``,
``"in_transit"``, ``"po"``): the JSON-LD context maps them to their CBV URIs. Anything that is
not a standard value must be a full URI (a company's own vocabulary). The enums below are
``str`` subclasses, so a member can be used wherever a bare word is expected.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

EPCIS_CONTEXT: Final = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
"""The JSON-LD context every EPCIS 2.0 JSON document references."""

SCHEMA_VERSION: Final = "2.0"

STANDARD_PREFIXES: Final = frozenset(
    {"epcis", "cbv", "cbvmda", "gs1", "rdfs", "owl", "xsd", "dcterms"}
)
"""Compact-IRI prefixes the EPCIS context itself declares."""


class EventType(StrEnum):
    """The five EPCIS 2.0 event types."""

    OBJECT = "ObjectEvent"
    AGGREGATION = "AggregationEvent"
    TRANSACTION = "TransactionEvent"
    TRANSFORMATION = "TransformationEvent"
    ASSOCIATION = "AssociationEvent"


class Action(StrEnum):
    """What an event does to the objects or relationship it names."""

    ADD = "ADD"
    OBSERVE = "OBSERVE"
    DELETE = "DELETE"


class BizStep(StrEnum):
    """CBV 2.0 business steps: what business process step the event records."""

    ACCEPTING = "accepting"
    ARRIVING = "arriving"
    ASSEMBLING = "assembling"
    COLLECTING = "collecting"
    COMMISSIONING = "commissioning"
    CONSIGNING = "consigning"
    CREATING_CLASS_INSTANCE = "creating_class_instance"
    CYCLE_COUNTING = "cycle_counting"
    DECOMMISSIONING = "decommissioning"
    DEPARTING = "departing"
    DESTROYING = "destroying"
    DISASSEMBLING = "disassembling"
    DISPENSING = "dispensing"
    ENCODING = "encoding"
    ENTERING_EXITING = "entering_exiting"
    HOLDING = "holding"
    INSPECTING = "inspecting"
    INSTALLING = "installing"
    KILLING = "killing"
    LOADING = "loading"
    OTHER = "other"
    PACKING = "packing"
    PICKING = "picking"
    RECEIVING = "receiving"
    REMOVING = "removing"
    REPACKAGING = "repackaging"
    REPAIRING = "repairing"
    REPLACING = "replacing"
    RESERVING = "reserving"
    RETAIL_SELLING = "retail_selling"
    SAMPLING = "sampling"
    SENSOR_REPORTING = "sensor_reporting"
    SHIPPING = "shipping"
    STAGING_OUTBOUND = "staging_outbound"
    STOCK_TAKING = "stock_taking"
    STOCKING = "stocking"
    STORING = "storing"
    TRANSPORTING = "transporting"
    UNLOADING = "unloading"
    UNPACKING = "unpacking"
    VOID_SHIPPING = "void_shipping"


class Disposition(StrEnum):
    """CBV 2.0 dispositions: the business state of the objects after the event."""

    ACTIVE = "active"
    AVAILABLE = "available"
    COMPLETENESS_INFERRED = "completeness_inferred"
    COMPLETENESS_VERIFIED = "completeness_verified"
    CONFORMANT = "conformant"
    CONTAINER_CLOSED = "container_closed"
    CONTAINER_OPEN = "container_open"
    DAMAGED = "damaged"
    DESTROYED = "destroyed"
    DISPENSED = "dispensed"
    DISPOSED = "disposed"
    ENCODED = "encoded"
    EXPIRED = "expired"
    IN_PROGRESS = "in_progress"
    IN_TRANSIT = "in_transit"
    INACTIVE = "inactive"
    MISMATCH_CLASS = "mismatch_class"
    MISMATCH_INSTANCE = "mismatch_instance"
    MISMATCH_QUANTITY = "mismatch_quantity"
    NEEDS_REPLACEMENT = "needs_replacement"
    NO_PEDIGREE_MATCH = "no_pedigree_match"
    NON_CONFORMANT = "non_conformant"
    NON_SELLABLE_OTHER = "non_sellable_other"
    PARTIALLY_DISPENSED = "partially_dispensed"
    RECALLED = "recalled"
    RESERVED = "reserved"
    RETAIL_SOLD = "retail_sold"
    RETURNED = "returned"
    SELLABLE_ACCESSIBLE = "sellable_accessible"
    SELLABLE_NOT_ACCESSIBLE = "sellable_not_accessible"
    STOLEN = "stolen"
    UNAVAILABLE = "unavailable"
    UNKNOWN = "unknown"


class BizTransactionType(StrEnum):
    """CBV 2.0 business transaction types, e.g. ``po`` for an order."""

    BOL = "bol"
    CERT = "cert"
    DESADV = "desadv"
    INV = "inv"
    PEDIGREE = "pedigree"
    PO = "po"
    POC = "poc"
    PRODORDER = "prodorder"
    RECADV = "recadv"
    RMA = "rma"
    TESTPRD = "testprd"
    TESTRES = "testres"
    UPEVT = "upevt"


class SourceDestType(StrEnum):
    """CBV 2.0 source/destination types."""

    LOCATION = "location"
    OWNING_PARTY = "owning_party"
    POSSESSING_PARTY = "possessing_party"


class ErrorReason(StrEnum):
    """CBV 2.0 error reasons for an ``errorDeclaration``."""

    DID_NOT_OCCUR = "did_not_occur"
    INCORRECT_DATA = "incorrect_data"


class SensorAlertType(StrEnum):
    """GS1 sensor alert types for ``sensorReport.exception``."""

    ALARM_CONDITION = "ALARM_CONDITION"
    ERROR_CONDITION = "ERROR_CONDITION"


class Component(StrEnum):
    """CBV 2.0 components of a sensor reading (coordinates and axes)."""

    ALTITUDE = "altitude"
    AXIAL_DISTANCE = "axial_distance"
    AZIMUTH = "azimuth"
    EASTING = "easting"
    ELEVATION_ANGLE = "elevation_angle"
    HEIGHT = "height"
    LATITUDE = "latitude"
    LONGITUDE = "longitude"
    NORTHING = "northing"
    POLAR_ANGLE = "polar_angle"
    SPHERICAL_RADIUS = "spherical_radius"
    X = "x"
    Y = "y"
    Z = "z"


class MeasurementType(StrEnum):
    """GS1 Web Vocabulary measurement types for ``sensorReport.type``."""

    ABSOLUTE_HUMIDITY = "AbsoluteHumidity"
    ABSORBED_DOSE = "AbsorbedDose"
    ABSORBED_DOSE_RATE = "AbsorbedDoseRate"
    ACCELERATION = "Acceleration"
    ALTITUDE = "Altitude"
    AMOUNT_OF_SUBSTANCE = "AmountOfSubstance"
    AMOUNT_OF_SUBSTANCE_PER_UNIT_VOLUME = "AmountOfSubstancePerUnitVolume"
    ANGLE = "Angle"
    ANGULAR_ACCELERATION = "AngularAcceleration"
    ANGULAR_MOMENTUM = "AngularMomentum"
    ANGULAR_VELOCITY = "AngularVelocity"
    AREA = "Area"
    CAPACITANCE = "Capacitance"
    CONDUCTANCE = "Conductance"
    CONDUCTIVITY = "Conductivity"
    COUNT = "Count"
    DENSITY = "Density"
    DIMENSIONLESS = "Dimensionless"
    DOSE_EQUIVALENT = "DoseEquivalent"
    DOSE_EQUIVALENT_RATE = "DoseEquivalentRate"
    DYNAMIC_VISCOSITY = "DynamicViscosity"
    ELECTRIC_CHARGE = "ElectricCharge"
    ELECTRIC_CURRENT = "ElectricCurrent"
    ELECTRIC_CURRENT_DENSITY = "ElectricCurrentDensity"
    ELECTRIC_FIELD_STRENGTH = "ElectricFieldStrength"
    ENERGY = "Energy"
    EXPOSURE = "Exposure"
    FORCE = "Force"
    FREQUENCY = "Frequency"
    ILLUMINANCE = "Illuminance"
    INDUCTANCE = "Inductance"
    IRRADIANCE = "Irradiance"
    KINEMATIC_VISCOSITY = "KinematicViscosity"
    LENGTH = "Length"
    LINEAR_MOMENTUM = "LinearMomentum"
    LUMINANCE = "Luminance"
    LUMINOUS_FLUX = "LuminousFlux"
    LUMINOUS_INTENSITY = "LuminousIntensity"
    MAGNETIC_FLUX = "MagneticFlux"
    MAGNETIC_FLUX_DENSITY = "MagneticFluxDensity"
    MAGNETIC_VECTOR_POTENTIAL = "MagneticVectorPotential"
    MASS = "Mass"
    MASS_CONCENTRATION = "MassConcentration"
    MASS_FLOW_RATE = "MassFlowRate"
    MASS_PER_AREA_TIME = "MassPerAreaTime"
    MEMORY_CAPACITY = "MemoryCapacity"
    MOLALITY_OF_SOLUTE = "MolalityOfSolute"
    MOLAR_ENERGY = "MolarEnergy"
    MOLAR_MASS = "MolarMass"
    MOLAR_VOLUME = "MolarVolume"
    POWER = "Power"
    PRESSURE = "Pressure"
    RADIANT_FLUX = "RadiantFlux"
    RADIANT_INTENSITY = "RadiantIntensity"
    RADIOACTIVITY = "Radioactivity"
    RELATIVE_HUMIDITY = "RelativeHumidity"
    RESISTANCE = "Resistance"
    RESISTIVITY = "Resistivity"
    SOLID_ANGLE = "SolidAngle"
    SPECIFIC_VOLUME = "SpecificVolume"
    SPEED = "Speed"
    SURFACE_DENSITY = "SurfaceDensity"
    SURFACE_TENSION = "SurfaceTension"
    TEMPERATURE = "Temperature"
    TIME = "Time"
    TORQUE = "Torque"
    VOLTAGE = "Voltage"
    VOLUME = "Volume"
    VOLUME_FLOW_RATE = "VolumeFlowRate"
    VOLUME_FRACTION = "VolumeFraction"
    VOLUMETRIC_FLUX = "VolumetricFlux"
    WAVENUMBER = "Wavenumber"


ACTIONS: Final = frozenset(Action)
EVENT_TYPES: Final = frozenset(EventType)
BIZ_STEPS: Final = frozenset(BizStep)
DISPOSITIONS: Final = frozenset(Disposition)
BIZ_TRANSACTION_TYPES: Final = frozenset(BizTransactionType)
SOURCE_DEST_TYPES: Final = frozenset(SourceDestType)
ERROR_REASONS: Final = frozenset(ErrorReason)
SENSOR_ALERT_TYPES: Final = frozenset(SensorAlertType)
COMPONENTS: Final = frozenset(Component)
MEASUREMENT_TYPES: Final = frozenset(MeasurementType)

# Longer spellings of standard values that the JSON binding writes as bare words:
# CBV 1.x URNs, CBV 2.0 web URIs and their compact form through the context's prefixes.
_LONG_FORMS: Final[dict[str, tuple[str, ...]]] = {
    "bizStep": ("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-", "cbv:BizStep-"),
    "disposition": ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-", "cbv:Disp-"),
    "bizTransactionType": ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-", "cbv:BTT-"),
    "sourceDestType": ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-", "cbv:SDT-"),
    "errorReason": ("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-", "cbv:ER-"),
    "component": ("urn:epcglobal:cbv:comp:", "https://ref.gs1.org/cbv/Comp-", "cbv:Comp-"),
    "measurementType": ("https://gs1.org/voc/", "gs1:"),
    "sensorAlertType": ("https://gs1.org/voc/", "gs1:"),
}

VOCABULARIES: Final[dict[str, frozenset[str]]] = {
    "bizStep": BIZ_STEPS,
    "disposition": DISPOSITIONS,
    "bizTransactionType": BIZ_TRANSACTION_TYPES,
    "sourceDestType": SOURCE_DEST_TYPES,
    "errorReason": ERROR_REASONS,
    "component": COMPONENTS,
    "measurementType": MEASUREMENT_TYPES,
    "sensorAlertType": SENSOR_ALERT_TYPES,
}
"""Standard bare words per vocabulary, keyed by the vocabulary's name."""


def bare_word(vocabulary: str, value: str) -> str:
    """Return ``value`` as the JSON binding writes it: a standard value as its bare word.

    Accepts enum members, bare words, CBV 1.x URNs (``urn:epcglobal:cbv:bizstep:shipping``)
    and CBV 2.0 URIs (``https://ref.gs1.org/cbv/BizStep-shipping``, ``cbv:BizStep-shipping``);
    any other value (a bare word that is not standard, a private URI) comes back unchanged
    as a plain ``str`` for the validator to judge. ``vocabulary`` is a key of
    :data:`VOCABULARIES`.
    """
    words = VOCABULARIES[vocabulary]
    text = str(value)
    for prefix in _LONG_FORMS[vocabulary]:
        if text.startswith(prefix) and text[len(prefix) :] in words:
            return text[len(prefix) :]
    return text
