"""Built-in word lists for the synthetic council: names, streets, schools and practices.

Every name here is a common given name, surname or place word; combinations are random, so no list entry describes a
real person. Postcodes use the fictional "NB" (Northbridge) area, which no real Royal Mail postcode area uses.
"""

from __future__ import annotations

from typing import Final

COUNCIL_NAME: Final = "Northbridge City Council"
TOWN: Final = "Northbridge"
POSTCODE_AREA: Final = "NB"

GIRLS: Final = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia", "Grace", "Willow",
    "Freya", "Florence", "Emily", "Ella", "Poppy", "Evie", "Elsie", "Charlotte", "Evelyn", "Sienna", "Sofia",
    "Daisy", "Phoebe", "Sophie", "Alice", "Harper", "Matilda", "Ruby", "Emilia", "Maya", "Millie", "Isabelle",
    "Eva", "Luna", "Jessica", "Aria", "Chloe", "Layla", "Esme", "Mila", "Zara", "Hallie", "Aisha", "Maryam",
    "Fatima", "Amira", "Hafsa", "Khadija", "Zainab", "Inaya", "Anaya", "Priya", "Simran", "Aaliyah", "Nia",
    "Amara", "Chioma", "Adaeze", "Keisha", "Tiana", "Jasmine", "Leah", "Hannah", "Megan", "Bethany", "Chelsea",
    "Courtney", "Jade", "Kayleigh", "Shannon", "Tegan", "Niamh", "Siobhan", "Aoife", "Zofia", "Oliwia", "Maja",
    "Gabriela", "Amelie", "Ana", "Ioana", "Elena", "Lucia", "Kiera", "Demi", "Paige", "Abigail", "Summer",
    "Scarlett", "Violet", "Eliza", "Harriet", "Imogen", "Lola", "Nancy", "Orla",
)

BOYS: Final = (
    "Muhammad", "Noah", "Oliver", "George", "Leo", "Arthur", "Oscar", "Theodore", "Freddie", "Theo", "Harry",
    "Archie", "Henry", "Jack", "Alfie", "Charlie", "Finley", "Thomas", "Jacob", "Lucas", "Isaac", "William",
    "Joshua", "James", "Edward", "Logan", "Mason", "Ethan", "Tommy", "Reggie", "Louie", "Albie", "Teddy",
    "Jaxon", "Harrison", "Max", "Dylan", "Riley", "Jude", "Ezra", "Ali", "Ibrahim", "Yusuf", "Omar", "Zayn",
    "Hamza", "Ayaan", "Rayyan", "Arjun", "Rohan", "Kai", "Tyrese", "Malachi", "Kwame", "Chidi", "Tobi", "Femi",
    "Jayden", "Kyle", "Callum", "Connor", "Liam", "Declan", "Cian", "Kacper", "Jakub", "Szymon", "Filip",
    "Mateusz", "Andrei", "Luca", "Matteo", "Daniel", "Samuel", "Joseph", "Benjamin", "Nathan", "Ryan", "Jordan",
    "Bradley", "Kieran", "Lewis", "Reece", "Shane", "Dominic", "Elliot", "Frankie", "Harvey", "Stanley",
    "Ronnie", "Sonny", "Bobby", "Rory", "Ollie", "Zachary", "Caleb", "Elijah",
)

WOMEN: Final = (
    "Sarah", "Laura", "Emma", "Rebecca", "Gemma", "Claire", "Kelly", "Nicola", "Lisa", "Michelle", "Stacey",
    "Samantha", "Danielle", "Hayley", "Leanne", "Natalie", "Victoria", "Amy", "Charlotte", "Jennifer", "Kirsty",
    "Joanne", "Donna", "Tracey", "Karen", "Sharon", "Julie", "Amanda", "Louise", "Katie", "Zoe", "Jade", "Aisha",
    "Nadia", "Shabana", "Nazia", "Samina", "Ruksana", "Farah", "Sadia", "Precious", "Blessing", "Grace",
    "Funmilayo", "Ngozi", "Abena", "Marcia", "Simone", "Tanya", "Agnieszka", "Katarzyna", "Monika", "Joanna",
    "Magdalena", "Irina", "Elena", "Mihaela", "Siobhan", "Sinead", "Bernadette", "Sophie", "Hannah", "Chloe",
    "Kayleigh", "Shauna", "Rachel", "Helen", "Angela", "Deborah", "Caroline",
)

MEN: Final = (
    "David", "Paul", "Mark", "Andrew", "Richard", "Daniel", "Christopher", "Michael", "James", "Stephen",
    "Lee", "Darren", "Craig", "Gary", "Wayne", "Dean", "Jason", "Carl", "Scott", "Ryan", "Adam", "Matthew",
    "Liam", "Kevin", "Anthony", "Jamie", "Shaun", "Ricky", "Dale", "Kyle", "Mohammed", "Imran", "Tariq", "Asif",
    "Kamran", "Nadeem", "Shahid", "Faisal", "Emeka", "Olumide", "Kofi", "Tunde", "Delroy", "Winston", "Marlon",
    "Andre", "Tomasz", "Piotr", "Marcin", "Krzysztof", "Pawel", "Bogdan", "Ionut", "Vasile", "Sean", "Patrick",
    "Ciaran", "Declan", "Gareth", "Neil", "Simon", "Martin", "Jonathan", "Robert", "Peter", "John",
)

SURNAMES: Final = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson", "Wright",
    "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Thomas", "Clarke", "Jackson", "Wood",
    "Harris", "Edwards", "Turner", "Martin", "Cooper", "Hill", "Ward", "Hughes", "Moore", "Clark", "King",
    "Harrison", "Lewis", "Baker", "Lee", "Allen", "Morris", "Khan", "Scott", "Watson", "Davis", "Parker",
    "James", "Bennett", "Young", "Phillips", "Richardson", "Mitchell", "Bailey", "Carter", "Cook", "Singh",
    "Shaw", "Bell", "Collins", "Morgan", "Kelly", "Begum", "Miller", "Cox", "Hussain", "Marshall", "Simpson",
    "Price", "Anderson", "Adams", "Wilkinson", "Ali", "Ahmed", "Foster", "Ellis", "Murphy", "Chapman", "Mason",
    "Gray", "Richards", "Webb", "Griffiths", "Hunt", "Palmer", "Campbell", "Holmes", "Mills", "Rogers", "Barnes",
    "Knight", "Matthews", "Barker", "Powell", "Stevens", "Kaur", "Fisher", "Butler", "Dixon", "Russell",
    "Harvey", "Pearson", "Graham", "Fletcher", "Howard", "Walsh", "Stewart", "Saunders", "Reynolds", "Gibson",
    "Lloyd", "Hayes", "Ford", "Pearce", "Lawrence", "Gardner", "Payne", "Rahman", "Iqbal", "Akhtar", "Mahmood",
    "Shah", "Malik", "Hassan", "Mohammed", "Chaudhry", "Sharma", "Mistry", "Chauhan", "Okafor", "Adeyemi",
    "Mensah", "Boateng", "Okoro", "Nwosu", "Adebayo", "Owusu", "Francis", "Grant", "Campbell-Brown", "Thomas-Reid",
    "Nowak", "Kowalski", "Wisniewski", "Wojcik", "Kaminski", "Lewandowski", "Popescu", "Ionescu", "Murray",
    "O'Brien", "O'Connor", "O'Neill", "McCarthy", "Doherty", "Quinn", "Byrne", "Gallagher", "MacDonald",
    "McKenzie", "Fraser", "Burns", "Hamilton", "Kennedy", "Robertson", "Reid", "Wallace", "Duncan", "Atkinson",
    "Burton", "Dawson", "Holt", "Lambert", "Nicholson", "Parry", "Pritchard", "Rees", "Vaughan", "Bowen",
    "Jenkins", "Lowe", "Marsh", "Newton", "Osborne", "Preston", "Quinnell", "Rowe", "Sutton", "Tucker", "Vincent",
    "Warren", "Yates", "Booth", "Chambers", "Dean", "Fox", "Gordon", "Hart", "Jordan", "Kirby", "Lynch", "Moss",
    "Nash", "Owen", "Pope", "Randall", "Sharp", "Todd", "Webster", "Abbott", "Bradley", "Curtis", "Doyle",
    "Elliott", "Fowler", "Gilbert", "Hewitt", "Ingram", "Jarvis", "Kemp", "Lucas", "Mann", "Norris", "Oakley",
    "Page", "Riley", "Stone", "Thornton", "Vickers", "Wade", "Ashton", "Blake", "Cross", "Dunn", "Frost", "Gill",
    "Hodgson", "Irwin", "Jennings", "Kay", "Lamb", "Moran", "Nolan", "Parkes", "Rhodes", "Slater", "Tyler",
)

STREET_WORDS: Final = (
    "Elm", "Oak", "Ash", "Beech", "Birch", "Cedar", "Chestnut", "Hawthorn", "Hazel", "Holly", "Laurel", "Maple",
    "Rowan", "Willow", "Station", "Church", "Mill", "Park", "Victoria", "Albert", "Queen's", "King's",
    "Canal", "Bridge", "Market", "Chapel", "School", "Castle", "Priory", "Abbey", "Meadow", "Orchard", "Brook",
    "Spring", "Westgate", "Eastgate", "Northgate", "Southgate", "Foundry", "Tannery", "Cobden", "Gladstone",
    "Peel", "Nelson", "Wellington", "Raglan", "Balaclava", "Inkerman", "Alma", "Trafalgar",
)
STREET_KINDS: Final = ("Road", "Street", "Avenue", "Close", "Lane", "Grove", "Terrace", "Way", "Drive", "Court",
                       "Gardens", "Crescent", "Walk", "Place", "View")
ESTATES: Final = ("Riverside Estate", "Northfields", "Hollow Park", "Canal Side", "Westbury", "St Jude's",
                  "Brookhill", "Ashgrove", "Millbank", "Harbour Quarter")

SCHOOLS: Final = (
    "St Anne's C of E Primary School", "Riverside Primary Academy", "Northbridge High School",
    "Canal Side Community Primary", "Holy Family Catholic Primary", "Westbury Academy", "Brookhill Infant School",
    "Ashgrove Junior School", "Millbank Secondary School", "St Jude's Catholic High School",
    "Harbour Quarter Free School", "Northfields Pupil Referral Unit",
)
GP_PRACTICES: Final = ("Elm Road Surgery", "Riverside Medical Centre", "Northfields Health Centre",
                       "Canal Side Practice", "Westbury Family Practice")
