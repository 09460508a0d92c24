/**
 * The words the sample generator draws from: IMDb's genre and profession vocabularies (the real ones) and invented
 * names and title words in several languages, with accents, so UTF-8 handling is exercised as in the real files.
 */

/** IMDb's genre vocabulary, as it appears in the `genero` column. */
export const GENRES = [
  "Action",
  "Adult",
  "Adventure",
  "Animation",
  "Biography",
  "Comedy",
  "Crime",
  "Documentary",
  "Drama",
  "Family",
  "Fantasy",
  "Film-Noir",
  "Game-Show",
  "History",
  "Horror",
  "Music",
  "Musical",
  "Mystery",
  "News",
  "Reality-TV",
  "Romance",
  "Sci-Fi",
  "Short",
  "Sport",
  "Talk-Show",
  "Thriller",
  "War",
  "Western",
] as const;

/** One IMDb genre. */
export type Genre = (typeof GENRES)[number];

/** How common each genre is among movies (relative weights, same order as {@link GENRES}). */
export const MOVIE_GENRE_WEIGHTS: Readonly<Record<Genre, number>> = {
  Action: 9,
  Adult: 0.5,
  Adventure: 6,
  Animation: 2,
  Biography: 2.5,
  Comedy: 17,
  Crime: 8,
  Documentary: 3,
  Drama: 30,
  Family: 3,
  Fantasy: 3,
  "Film-Noir": 0.5,
  "Game-Show": 0.05,
  History: 2.5,
  Horror: 6,
  Music: 2,
  Musical: 2,
  Mystery: 4,
  News: 0.1,
  "Reality-TV": 0.05,
  Romance: 10,
  "Sci-Fi": 3,
  Short: 0.2,
  Sport: 1.5,
  "Talk-Show": 0.05,
  Thriller: 7,
  War: 2.5,
  Western: 2,
};

/** How common each genre is among series (TV formats are far more frequent than in movies). */
export const SERIES_GENRE_WEIGHTS: Readonly<Record<Genre, number>> = {
  ...MOVIE_GENRE_WEIGHTS,
  Adult: 0.1,
  Animation: 6,
  Comedy: 20,
  Documentary: 8,
  Drama: 24,
  Family: 5,
  "Film-Noir": 0.05,
  "Game-Show": 3,
  Musical: 0.5,
  News: 3,
  "Reality-TV": 6,
  Short: 0.5,
  "Talk-Show": 4,
  War: 1,
  Western: 1,
};

/** Professions besides acting, as in the `profissao` column. */
export const OTHER_PROFESSIONS = [
  "writer",
  "producer",
  "director",
  "soundtrack",
  "miscellaneous",
  "composer",
  "cinematographer",
  "editor",
  "stunts",
  "make_up_department",
  "sound_department",
  "production_designer",
  "casting_director",
  "art_department",
  "camera_department",
  "costume_designer",
  "assistant_director",
  "music_department",
  "art_director",
  "executive",
] as const;

// prettier-ignore
/** Men's first names. */
export const MALE_FIRST_NAMES = [
  "John", "William", "George", "Charles", "Henri", "Jean", "Pierre", "José", "João", "António", "Joaquín", "Luis",
  "Carlos", "Jorge", "Paulo", "André", "François", "Émile", "Jérôme", "René", "Hans", "Jürgen", "Günther", "Björn",
  "Søren", "Jørgen", "Aage", "Lars", "Nils", "Giuseppe", "Marco", "Luca", "Nicolás", "Sebastián", "Raúl", "Ramón",
  "Óscar", "Iñaki", "Mário", "Sérgio", "Otávio", "Fábio", "Thomas", "James", "Robert", "Michael", "David", "Richard",
  "Joseph", "Edward", "Frank", "Harry", "Arthur", "Walter", "Henry", "Paul", "Peter", "Kenji", "Hiroshi", "Takeshi",
  "Raj", "Amitabh", "Shah Rukh", "Ivan", "Dmitri", "Sergei", "Andrzej", "Tomasz", "Ahmed", "Omar", "Youssef", "Kwame",
  "Chidi", "Tadeusz", "Zoltán", "László", "Miloš", "Dragan", "Ángel", "Ignacio", "Benoît", "Loïc", "Gaël", "Noël",
];

// prettier-ignore
/** Women's first names. */
export const FEMALE_FIRST_NAMES = [
  "Mary", "Elizabeth", "Anna", "Maria", "Marie", "Blanche", "Gilberte", "Christiane", "Hélène", "Cécile", "Léa",
  "Zoé", "Inês", "Conceição", "Luíza", "Mônica", "Márcia", "Fernanda", "Beatriz", "Sofía", "Lucía", "María José",
  "Begoña", "Ingrid", "Birgitte", "Ása", "Sigrún", "Maja", "Greta", "Käthe", "Jüta", "Giulia", "Francesca", "Chiara",
  "Grace", "Rita", "Lois", "Nancy", "Barbara", "Margaret", "Dorothy", "Helen", "Ruth", "Alice", "Jean", "Olivia",
  "Emma", "Sarah", "Laura", "Yuki", "Keiko", "Akiko", "Priya", "Aishwarya", "Deepika", "Olga", "Tatiana", "Natalia",
  "Agnieszka", "Małgorzata", "Fatima", "Leila", "Amina", "Ngozi", "Zsófia", "Dorottya", "Jelena", "Milena", "Renée",
  "Anaïs", "Maëlle", "Noémie", "Solène", "Ana Júlia", "Thaís", "Débora", "Lívia", "Natália", "Patrícia", "Vitória",
];

// prettier-ignore
/** Family names. */
export const LAST_NAMES = [
  "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor", "Anderson", "Thomas",
  "Moore", "Martin", "Jackson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright",
  "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips",
  "Silva", "Santos", "Oliveira", "Souza", "Pereira", "Lima", "Carvalho", "Gonçalves", "Araújo", "Magalhães",
  "Conceição", "Assunção", "Simões", "Falcão", "Brandão", "Guimarães", "Fonseca", "García", "Martínez", "López",
  "Sánchez", "Pérez", "Gómez", "Díaz", "Hernández", "Muñoz", "Jiménez", "Álvarez", "Núñez", "Ibáñez", "Durany",
  "Argelagués", "Dubois", "Lefèvre", "Moreau", "Girard", "Bérard", "Mounet-Sully", "Gérard", "Fénelon", "Müller",
  "Schröder", "Köhler", "Weiß", "Groß", "Bäcker", "Jäger", "Fønss", "Sørensen", "Jørgensen", "Løvborg", "Åkesson",
  "Öberg", "Lindqvist", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Tanaka",
  "Suzuki", "Watanabe", "Yamamoto", "Kobayashi", "Kapoor", "Khan", "Sharma", "Bachchan", "Ivanov", "Petrov",
  "Smirnov", "Kowalski", "Nowak", "Wiśniewski", "Wójcik", "Dvořák", "Novák", "Horváth", "Kovács", "Szabó", "Tóth",
  "Nagy", "Petrović", "Jovanović", "Đorđević", "Okafor", "Mensah", "Haddad", "Mansour", "El-Sayed", "O'Brien",
  "O'Connor", "McAllister", "MacDonald", "Fitzgerald", "Van der Berg", "De Vries", "Van Dijk", "Çelik", "Yılmaz",
  "Öztürk", "Şahin", "Ferreira", "Rodrigues", "Almeida", "Ribeiro", "Barbosa", "Rocha", "Dias", "Mendes",
];

// prettier-ignore
/** Leading words of invented titles. */
export const TITLE_STARTS = [
  "The", "A", "Return of the", "Night of the", "Last", "Secret", "Lost", "Little", "Great", "Dark", "Wild", "Golden",
  "Beyond the", "Under the", "Chronicles of the", "Legend of the", "Song of the", "Shadow of the", "House of",
  "Mission:", "Operation", "Escape from", "Journey to", "Rise of the", "Fall of the", "Death of a", "Love in",
  "Murder in", "Dr.", "Captain", "Mr. & Mrs.", "Sweet", "Cold", "Silent", "Broken", "Hidden", "Blue", "Red",
];

// prettier-ignore
/** Nouns of invented titles. */
export const TITLE_NOUNS = [
  "Gang", "Son", "River", "City", "Mountain", "Heart", "Storm", "King", "Queen", "Empire", "Island", "Road",
  "Wizard", "Machine", "Detective", "Stranger", "Summer", "Winter", "Dream", "Game", "War", "Dawn", "Moon", "Sun",
  "Sea", "Garden", "Family", "Brothers", "Sisters", "Kingdom", "Frontier", "Express", "Hotel", "Station", "Circus",
  "Affair", "Promise", "Mirror", "Ghost", "Ranch", "Valley", "Harbor", "Prison", "Show", "Hour", "Story", "Files",
];

// prettier-ignore
/** Titles in other languages (with accents and apostrophes), used as the original title of foreign productions. */
export const FOREIGN_TITLES = [
  "Les Misérables", "L'enfant prodigue", "Gøngehøvdingen", "Locura de amor", "Faldgruben", "Die Straße",
  "La Dolce Vita", "Cidade de Deus", "Central do Brasil", "O Auto da Compadecida", "Amélie", "Le Mépris",
  "À bout de souffle", "Das Boot", "Der Himmel über Berlin", "El laberinto del fauno", "Mar adentro", "Ladrões",
  "Sonata de Outono", "Smultronstället", "Jagten", "Festen", "Ånden i flasken", "Nuovo Cinema Paradiso",
  "Ladri di biciclette", "Sen to Chihiro no kamikakushi", "Shichinin no samurai", "Pather Panchali", "Noč",
  "Człowiek z marmuru", "Őszi szonáta", "Ça ira", "Garçon!", "O Pagador de Promessas", "Lavoura Arcaica",
  "Eu, Tu, Eles", "Açúcar", "Coração Valente", "São Paulo, Sociedade Anônima", "Mãe e Filha", "Não Olhe Agora",
];

// prettier-ignore
/** Character names and roles, including the `Self - ...` roles of shows. */
export const CHARACTERS = [
  "Hamlet", "Ofelia", "Narrator", "Himself", "Herself", "Self - Host", "Self - Announcer", "Self - Guest",
  "Self - Contestant", "Announcer", "Inspector", "Doctor", "Doktor", "Nurse", "The Mother", "The Father", "Curate",
  "Trooper", "Warder", "Chief of Police", "School Master", "Detective Sergeant", "Captain", "Bartender", "Waitress",
  "The Stranger", "Young Woman", "Old Man", "Mr. Hamilton", "Mrs. Alice Aldrich", "Henry Aldrich", "Gavroche",
  "Thénardier", "Inspecteur Javert", "Grantaire", "Vært", "Blegnæb", "Palle", "Tam", "Ib", "Dancer", "Singer",
  "Comedian", "Performer", "Guest", "Judge", "Reporter", "Sheriff", "Deputy", "Cowboy", "Soldier", "Pilot", "Robot",
  "The Wizard of Oz Man", "Tik-Tok - the Machine Man", "Monseigneur Myriel", "Le président des Assises",
  "Dr. Claybōrn", "Señora García", "Dona Flor", "Zé Pequeno", "Maria Antonieta", "Padre Cícero", "Lampião",
];
