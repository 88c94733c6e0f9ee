"""Synthetic narrative text for demo contacts: worries, rationales, check questions and answers.

Written to read like the records a MASH holds, without describing any real child or family. Placeholders:
``{child}`` (first names of the children), ``{adult}`` (an adult's first name), ``{age}`` (a child's age).
"""

from __future__ import annotations

from typing import Final

# Worries by the kind of referrer, keyed by the first character(s) of the DfE ReferralSource code group.
WORRIES: Final[dict[str, tuple[str, ...]]] = {
    "police": (
        "Police attended the home at night after a neighbour reported shouting. {adult} had a cut to the lip and "
        "said her partner had left before officers arrived. {child} was awake and upset. DASH risk assessment "
        "completed: medium risk.",
        "{child} ({age}) was found by officers in the town centre after midnight with older males not known to the "
        "family. Smelt of cannabis and had a new phone. Returned home; {adult} said this is the third time this "
        "month.",
        "Police conducted a welfare check at the address after a call from a relative. The home was cold, with "
        "little food; {adult} appeared intoxicated. {child} was asleep upstairs. No arrests.",
        "Report of a domestic incident: {adult} and her ex-partner argued at the door over contact arrangements. "
        "{child} witnessed the incident. Ex-partner has previous for violence against a former partner.",
    ),
    "school": (
        "{child} ({age}) arrived at school hungry and in the same clothes for the fourth day. Attendance has "
        "fallen to 81% this term. {child} told a teaching assistant that mum 'sleeps all day'.",
        "{child} disclosed to the DSL that dad hit them with a belt at the weekend. A faint mark was seen on the "
        "back of the left arm. {child} asked us not to tell anyone.",
        "{child} ({age}) has been self-harming (cuts to forearm seen by PE staff) and said things at home are "
        "'too much'. Parents were informed and are supportive but struggling to access CAMHS.",
        "Concerns about {child}'s relationship with an older boyfriend who collects them from school in a car. "
        "{child} has become withdrawn and has missed afternoon lessons.",
    ),
    "health": (
        "{child} ({age}) attended with a spiral fracture of the forearm; explanation given by {adult} does not "
        "fit the injury. Child protection medical requested.",
        "Health visitor new-birth visit: home very cluttered, unsafe sleeping arrangements, {adult} tearful and "
        "scoring high on the postnatal depression screen. Partner not present.",
        "{child} ({age}) missed three hospital appointments for a long-term condition; weight is falling. "
        "Family have not responded to letters or calls.",
        "Disclosure at GP appointment by {adult} of controlling behaviour by partner, including taking her money "
        "and phone. Two children in the household, {child}.",
    ),
    "local": (
        "Early help practitioner: the family plan has not progressed in 12 weeks; {adult} has disengaged and "
        "{child} is not attending school. Request step-up for assessment.",
        "Housing officer reports rent arrears, threatened eviction and a disrepair complaint; on a home visit the "
        "flat had no heating and {child} was sharing a mattress on the floor.",
        "Probation: {adult}'s partner has been released on licence for offences of violence and is living at the "
        "address, which was not declared. {child} lives there.",
        "Youth justice worker: {child} ({age}) disclosed being asked to carry packages for older males and owing "
        "them money. Fearful of going home.",
    ),
    "public": (
        "Caller (neighbour) says the children at the address are often left alone in the evenings and can be "
        "heard crying. Saw {child} at the window late at night.",
        "Caller is {child}'s grandparent and is worried that {adult} is drinking heavily again and that the "
        "children are not being fed or taken to school.",
        "Anonymous caller reports loud arguments and things being thrown at the address most weekends; a child "
        "was heard screaming 'stop'.",
        "{child} ({age}) phoned to say they do not want to go home because of arguments and that they were "
        "pushed by mum's partner.",
    ),
}

RAG_RATIONALES: Final[dict[str, tuple[str, ...]]] = {
    "red": (
        "Injury to a child with an explanation that does not fit: possible significant harm, needs a "
        "strategy discussion today.",
        "Child disclosed physical harm by a carer and is fearful of going home; immediate safety planning needed.",
    ),
    "amber": (
        "Cumulative neglect concerns and earlier contacts: needs multi-agency information today or tomorrow.",
        "Domestic abuse witnessed by the child with a known perpetrator; medium risk, checks needed.",
    ),
    "green": (
        "Low-level concerns with protective parents; likely universal or early help support.",
        "Single incident, no injury, parents engaging: information gathering within the standard time.",
    ),
}

RE_RATING_RATIONALES: Final = (
    "Re-rated after police checks showed earlier call-outs to the address.",
    "Re-rated: school and health information show the family is engaging and the concern is lower than first thought.",
    "Re-rated after a further call from the referrer with new information about an injury.",
)

DECISION_RATIONALES: Final[dict[str, tuple[str, ...]]] = {
    "no_further_action": (
        "Concern resolved on checks: the parents acted protectively and no agency holds further worries.",
    ),
    "information_and_advice": (
        "Referrer advised and family signposted to universal services; no role for children's social care at present.",
    ),
    "early_help": (
        "Needs can be met by a coordinated early help offer with the family's consent; the school "
        "will act as lead practitioner.",
    ),
    "referral_for_assessment": (
        "The child's needs are complex and cumulative; a social work assessment under "
        "section 17 is needed to understand the risks.",
    ),
    "strategy_discussion": (
        "Reasonable cause to suspect significant harm: a strategy discussion with police and "
        "health is needed to consider a section 47 enquiry.",
    ),
    "immediate_protection": (
        "The child is at immediate risk if they return home tonight; police protection and "
        "emergency placement arranged with the out-of-hours team.",
    ),
}

CHECK_QUESTIONS: Final[dict[str, str]] = {
    "police": "Please share any call-outs, domestic abuse incidents or offending linked to the address or adults "
    "in the last two years.",
    "school": "Please share attendance, any safeguarding log entries and your view of the child's presentation.",
    "health": "Please share health involvement, missed appointments and any concerns about development or injuries.",
    "housing": "Please share tenancy status, arrears and any reports about the property.",
    "probation": "Please confirm whether any adult at the address is under supervision and the risk level.",
    "early_help": "Please share any early help assessment or plan for the family and how it is progressing.",
    "other": "Please share what your service knows about the family and any current concerns.",
}

CHECK_ANSWERS: Final = (
    "Two domestic incidents recorded at the address in the past 12 months, both verbal; no arrests.",
    "Nothing known to our service about this family.",
    "Attendance 88% this year; child is often late and tired; two entries on our safeguarding log about hunger.",
    "Registered with the practice; immunisations up to date; mother seen twice for low mood in the last 6 months.",
    "Tenancy in arrears of about eight weeks; a notice was served last month; property inspected and in fair "
    "condition.",
    "Adult is known to us and supervised at medium risk of harm to known adults; no child-related conditions.",
    "Early help plan closed six months ago after the family disengaged; concerns then were about school "
    "attendance and routines.",
)

REPORTER_ROLES: Final[dict[str, str]] = {
    "police": "Police constable, public protection unit",
    "school": "Designated safeguarding lead",
    "health": "Safeguarding nurse",
    "housing": "Housing officer",
    "probation": "Probation officer",
    "early_help": "Early help practitioner",
    "other": "Practitioner",
}
