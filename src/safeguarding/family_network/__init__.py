"""The family network: family group decision-making (the offer, the family network meeting and its family plan),
pre-proceedings under the Public Law Outline (the letter before proceedings, the meetings, the outcome) and the
kinship arrangements a child lives in with the support of the council's kinship local offer.

One slice for the three because they are one piece of practice in the Families First reforms (Children's Wellbeing
and Schools Act 2026): the family network is asked to help before the council goes to court (s1, new s31ZA
Children Act 1989: the FGDM offer goes in the letter before proceedings), and where the family steps in, the child
lives with kin under an arrangement the kinship local offer supports (s5, new s22H Children Act 1989). The
multi-agency child protection team of a section 47 enquiry is case work's (casework/protection_team.py).
"""
