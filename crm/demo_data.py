"""Word lists for ``manage.py seed_demo``: Indonesian names, places, vehicles and the
contact-history phrases the demo data is built from.

Plain data, no Django: every list here is read-only. Nothing may contain a tab, a
newline or a backslash (rows go to PostgreSQL COPY in text format).
"""

# --- People ----------------------------------------------------------------------------
# National pools: names met everywhere in Indonesia (Javanese, Sundanese, Malay, Muslim,
# Christian and Chinese-Indonesian given names).
MALE_FIRST_NAMES = """
Adi Agus Ahmad Aldi Andi Andreas Anton Arief Aris Arya Bagus Bambang Bayu Benny Budi Cahyo Dani Danu Darmawan
Dedi Deni Dimas Doni Dwi Edi Edwin Eko Fajar Farhan Fauzan Ferry Fikri Gilang Hadi Hari Hendra Heru Ikhsan Ilham
Imam Indra Irfan Irwan Iwan Johan Joko Kevin Kurnia Lukman Mahmud Muhammad Nanda Nugroho Rahmat Rendra Reza
Ridwan Rizal Rizki Rudi Ryan Samuel Sandi Satria Slamet Sugeng Surya Taufik Teguh Tommy Umar Wahyu Wawan Yoga
Yudi Yusuf Zainal Hendrik Stefanus Yosua Gunawan Feri Arif Hasan Fadli Aditya Galih Purnomo Sutrisno
""".split()

FEMALE_FIRST_NAMES = """
Ani Anita Annisa Ayu Bunga Citra Dewi Dian Dina Eka Elisa Endang Evi Fitri Grace Hana Hesti Ika Indah Intan Irene
Kartika Laras Lestari Lina Lia Maya Mega Melati Nadia Nia Novi Nur Nurul Oktavia Puspita Putri Ratna Rina Rini
Rosa Sari Sekar Shinta Siti Sri Suci Tari Theresia Tri Utami Vina Wati Widya Winda Wulan Yanti Yuli Yuni Zahra
Agustina Amelia Aprilia Clara Debora Dessy Felicia Fransiska Gita Handayani Ira Jessica Kurniasih Listya Margaretha
Meliana Natalia Novita Paramita Pratiwi Rahayu Septiani Susanti Veronika Yohana
""".split()

LAST_NAMES = """
Santoso Wijaya Saputra Pratama Hidayat Nugroho Kusuma Siregar Nasution Lubis Harahap Simanjuntak Sihombing Hutapea
Tambunan Panjaitan Sinaga Situmorang Wibowo Setiawan Gunawan Halim Tanoto Salim Susanto Purnomo Sutrisno Rahman
Hakim Iskandar Firmansyah Ramadhan Permana Maulana Kurniawan Hartono Budiman Wahyudi Suryadi Syahputra Daulay
Manurung Pardede Simatupang Sitompul Tarigan Ginting Sembiring Pangaribuan Mahendra Darmawan Anggara Suparman
Sugiarto Setiadi Prasetyo Utomo Hermawan Sulistyo Pranoto Suwandi Tjahjadi Lim Tan Wongso Kartawijaya Sastrowardoyo
Pakpahan Sianipar Napitupulu Rangkuti Batubara Pohan Ritonga Hasibuan Nainggolan Wardhana Sudirman Yulianto Saragih
Purba Damanik Girsang Marpaung Manalu Gultom Lumbantobing Silalahi Sibarani Aritonang Simbolon Samosir Ardiansyah
Fauzi Anwar Zulkarnain Junaidi Sofyan Kamal Husein Wiranata Hadiwijaya Sasmita Tanujaya Sutanto Tjandra Hutagalung
Sitorus Siahaan Tampubolon
Kurniadi Effendi Hamzah Siswanto Purwanto Haryanto Suharjo Widodo Rusdianto Susilo Cahyadi Pramono Lesmana
Wirawan Hendarto Adiwijaya Novianto Pangestu Irawan Wicaksono Nurhadi Subagyo Sumarno Puspitasari Rachmawati
Lestari Handoko Kristanto Sanjaya Oktaviani Soebroto Mulyono Gozali Liman Wenas Rumengan Lumentut Sumampouw
Pattiasina Latuconsina Wattimena
""".split()

# Regional pools, mixed in for the branches' own provinces.
SUNDANESE_MALE = "Asep Ujang Dadang Cecep Yayan Dede Ade Usep Engkos Jajang Iwan Aep".split()
SUNDANESE_FEMALE = "Euis Neng Lilis Cucu Iis Eneng Nining Yati Enok Rina".split()
SUNDANESE_LAST = """Suryana Ruhiyat Sudrajat Rukmana Suhendar Mulyana
Sopandi Nugraha Kusnadi Sumarna Saepudin Supriatna""".split()

JAVANESE_MALE = "Sukarno Suparno Supriyadi Widodo Prabowo Sutrisno Sugiyono Karyono Mulyadi Suwarno".split()
JAVANESE_FEMALE = "Sumiati Sulastri Suwarni Wartini Sriyani Ngatini Partini Tumini".split()

BALINESE_BIRTH_ORDER = ["Wayan", "Putu", "Gede", "Made", "Kadek", "Nengah", "Nyoman", "Komang", "Ketut"]
BALINESE_MALE = """Suarsana Adnyana Arsana Sudiarta Sukadana Antara
Sedana Budiarta Wiradana Mertayasa Suardika Astawa""".split()
BALINESE_FEMALE = """Ariani Sriani Astiti Suastini Juliantari
Purnamasari Sukerti Darmayanti Widiastuti Sekarini""".split()

BUGIS_MALE = "Andi Muhammad Syamsul Amiruddin Haeruddin Arifuddin Jamaluddin Nurdin Rusli Basri Ansar Syahrir".split()
BUGIS_FEMALE = "Andi Sitti Nurhayati Hasnawati Rosmini Sukmawati Haslinda Nurjannah Ramlah Fatmawati".split()
BUGIS_LAST = """Baharuddin Syamsuddin Hasanuddin Mallarangeng Paturusi Mattalitti Kalla Limpo Patompo Latief Sanusi
Pasinringi Makkawaru Tenriola Daeng Massikki""".split()

PAPUAN_MALE = "Yohanes Markus Yakob Otto Frans Septinus Naftali Elias Yulius Bernardus Petrus Lukas Yeremias".split()
PAPUAN_FEMALE = "Agustina Maria Yuliana Ribka Marta Selfina Naomi Yosina Salomina Ester".split()
PAPUAN_LAST = """Rumbiak Kogoya Wenda Yoku Mandacan Rumere Waromi Ayomi Kaisiepo Sawaki Wanimbo Tabuni Mayor
Rumkorem Imbiri Kambu Krey Wospakrik Sroyer Ireeuw Hamadi Youw""".split()

# Companies: "PT Sinar Jaya Logistik", "CV Maju Bersama".
COMPANY_WORDS_1 = """Sinar Karya Maju Mitra Cahaya Bintang Sumber Tunas Putra Anugerah Berkah Global Surya Mega Indo
Bumi Samudra Citra Duta Graha Jaya Harapan Prima Multi""".split()
COMPANY_WORDS_2 = """Jaya Makmur Abadi Sentosa Mandiri Utama Sejahtera Bersama Nusantara Perkasa Gemilang Lestari
Rezeki Sukses Persada Lancar Agung Sakti Baru Armada""".split()
COMPANY_TRADES = ["", "", "", "Logistik", "Transport", "Trans", "Rental", "Konstruksi", "Agro", "Niaga", "Distribusi",
                  "Teknik", "Ekspres", "Pangan", "Properti", "Tour & Travel"]
COMPANY_CONTACT_ROLES = ["purchasing", "admin", "finance", "operasional", "info", "fleet"]  # email local parts
# How a note names the company when nobody in particular is meant ({who}): "bagian pembelian PT ...".
COMPANY_CONTACT_TEAMS = {"purchasing": "bagian pembelian", "admin": "bagian admin", "finance": "bagian keuangan",
                         "operasional": "bagian operasional", "info": "kantor", "fleet": "pengelola armada"}
# Job titles of a company's contact persons.
CONTACT_PERSON_ROLES = ["Manajer Pembelian", "Koordinator Armada", "Manajer Keuangan", "Direktur",
                        "Manajer Operasional", "Staf Admin"]

EMAIL_DOMAINS = ["gmail.com"] * 6 + ["yahoo.co.id", "yahoo.com", "outlook.com", "hotmail.com", "ymail.com"]
COMPANY_EMAIL_DOMAINS = ["gmail.com", "yahoo.co.id", "outlook.co.id"]

# --- Branches and their region ---------------------------------------------------------
# code: (name, city, address, time zone, is head office)
BRANCHES = {
    "pusat": ("Kantor Pusat Jakarta", "Jakarta Pusat", "Jl. M.H. Thamrin No. 28, Menteng, Jakarta Pusat 10350",
              "Asia/Jakarta", True),
    "jks": ("Cabang Jakarta Selatan", "Jakarta Selatan", "Jl. TB Simatupang Kav. 18, Cilandak, Jakarta Selatan 12430",
            "Asia/Jakarta", False),
    "bdg": ("Cabang Bandung", "Bandung", "Jl. Soekarno-Hatta No. 512, Batununggal, Bandung 40266",
            "Asia/Jakarta", False),
    "sby": ("Cabang Surabaya", "Surabaya", "Jl. Ahmad Yani No. 188, Gayungan, Surabaya 60235",
            "Asia/Jakarta", False),
    "dps": ("Cabang Denpasar", "Denpasar", "Jl. Teuku Umar No. 99, Denpasar Barat, Denpasar 80113",
            "Asia/Makassar", False),
    "mks": ("Cabang Makassar", "Makassar", "Jl. A.P. Pettarani No. 45, Rappocini, Makassar 90222",
            "Asia/Makassar", False),
    "jyp": ("Cabang Jayapura", "Jayapura", "Jl. Raya Abepura No. 36, Kotaraja, Jayapura 99225",
            "Asia/Jayapura", False),
}

# Share of the customers each branch gets (the big cities get more).
BRANCH_WEIGHTS = {"jks": 25, "bdg": 19, "sby": 22, "dps": 13, "mks": 13, "jyp": 8}

# Which regional name pool a branch's customers draw from, and how often (else national).
BRANCH_NAME_STYLE = {
    "jks": (None, 0.0), "bdg": ("sunda", 0.45), "sby": ("jawa", 0.3),
    "dps": ("bali", 0.55), "mks": ("bugis", 0.5), "jyp": ("papua", 0.45),
}

# Cities each branch serves: (city, province, plate prefix, first letters of the plate
# suffix or "" for any, weight, districts (kecamatan), streets).
CITIES = {
    "jks": [
        ("Jakarta Selatan", "DKI Jakarta", "B", "S", 50,
         ["Kebayoran Baru", "Cilandak", "Pasar Minggu", "Tebet", "Mampang Prapatan", "Pancoran", "Jagakarsa",
          "Setiabudi", "Kebayoran Lama", "Pesanggrahan"],
         ["Kemang Raya", "Fatmawati", "Ampera Raya", "Warung Buncit Raya", "Wijaya I", "Senopati",
          "Radio Dalam", "Pangeran Antasari", "Tebet Raya", "Bangka Raya", "Cipete Raya", "Duren Tiga",
          "Kapten Tendean", "Gandaria", "Lenteng Agung Raya", "Moh. Kahfi"]),
        ("Jakarta Timur", "DKI Jakarta", "B", "T", 15,
         ["Duren Sawit", "Cakung", "Jatinegara", "Kramat Jati", "Ciracas", "Pulo Gadung"],
         ["Kalimalang", "Pemuda", "Raden Inten", "Pondok Kelapa Raya", "Otto Iskandardinata", "Raya Bogor"]),
        ("Depok", "Jawa Barat", "B", "EZ", 18,
         ["Beji", "Pancoran Mas", "Sukmajaya", "Cimanggis", "Sawangan", "Cinere"],
         ["Margonda Raya", "Juanda", "Nusantara Raya", "Sawangan Raya", "Raya Cinere", "Akses UI"]),
        ("Tangerang Selatan", "Banten", "B", "CVW", 17,
         ["Serpong", "Ciputat", "Pamulang", "Pondok Aren", "Setu"],
         ["Pahlawan Seribu", "Raya Serpong", "Siliwangi", "Ciputat Raya", "Boulevard Bintaro", "Pajajaran"]),
    ],
    "bdg": [
        ("Bandung", "Jawa Barat", "D", "", 60,
         ["Coblong", "Sukajadi", "Buahbatu", "Antapani", "Cicendo", "Lengkong", "Sumur Bandung", "Arcamanik"],
         ["Ir. H. Juanda", "Dr. Djunjunan", "Asia Afrika", "R.E. Martadinata", "Buah Batu", "Soekarno-Hatta",
          "Setiabudi", "Cihampelas", "Pajajaran", "Kiaracondong", "Jakarta", "Burangrang", "Turangga"]),
        ("Cimahi", "Jawa Barat", "D", "", 15,
         ["Cimahi Tengah", "Cimahi Utara", "Cimahi Selatan"],
         ["Amir Machmud", "Gatot Subroto", "Baros", "Kolonel Masturi"]),
        ("Kabupaten Bandung", "Jawa Barat", "D", "", 17,
         ["Soreang", "Baleendah", "Dayeuhkolot", "Margahayu", "Bojongsoang"],
         ["Raya Soreang", "Moh. Toha", "Raya Banjaran", "Terusan Kopo"]),
        ("Sumedang", "Jawa Barat", "Z", "", 8,
         ["Jatinangor", "Sumedang Utara", "Sumedang Selatan"],
         ["Raya Jatinangor", "Prabu Geusan Ulun", "Mayor Abdurahman"]),
    ],
    "sby": [
        ("Surabaya", "Jawa Timur", "L", "", 60,
         ["Gubeng", "Wonokromo", "Tegalsari", "Rungkut", "Sukolilo", "Genteng", "Mulyorejo", "Wiyung", "Tambaksari"],
         ["Raya Darmo", "Basuki Rahmat", "Pemuda", "Ahmad Yani", "Mayjen Sungkono", "Dharmahusada", "Kertajaya",
          "Manyar Kertoarjo", "Raya Gubeng", "Kenjeran", "HR Muhammad", "Raya Rungkut", "Raya Darmo Permai"]),
        ("Sidoarjo", "Jawa Timur", "W", "", 25,
         ["Waru", "Buduran", "Candi", "Taman", "Gedangan"],
         ["Raya Waru", "Pahlawan", "Gajah Mada", "Raya Juanda", "Raya Taman"]),
        ("Gresik", "Jawa Timur", "W", "", 15,
         ["Kebomas", "Manyar", "Driyorejo"],
         ["Dr. Wahidin Sudirohusodo", "Veteran", "Panglima Sudirman"]),
    ],
    "dps": [
        ("Denpasar", "Bali", "DK", "", 50,
         ["Denpasar Selatan", "Denpasar Barat", "Denpasar Timur", "Denpasar Utara"],
         ["Teuku Umar", "Gatot Subroto", "By Pass Ngurah Rai", "Diponegoro", "Hayam Wuruk", "Gunung Agung",
          "Imam Bonjol", "Raya Sesetan", "Tukad Badung", "Nangka Utara"]),
        ("Badung", "Bali", "DK", "", 25,
         ["Kuta", "Kuta Utara", "Kuta Selatan", "Mengwi"],
         ["Sunset Road", "Raya Kerobokan", "Legian", "Raya Canggu", "Uluwatu", "Raya Kapal"]),
        ("Gianyar", "Bali", "DK", "", 15,
         ["Ubud", "Sukawati", "Blahbatuh", "Gianyar"],
         ["Raya Ubud", "Raya Sukawati", "Ciung Wanara", "Raya Batubulan"]),
        ("Tabanan", "Bali", "DK", "", 10,
         ["Kediri", "Tabanan", "Marga"],
         ["Pahlawan", "Raya Kediri", "Gajah Mada"]),
    ],
    "mks": [
        ("Makassar", "Sulawesi Selatan", "DD", "", 65,
         ["Panakkukang", "Rappocini", "Tamalate", "Mariso", "Biringkanaya", "Tamalanrea", "Manggala", "Ujung Pandang"],
         ["A.P. Pettarani", "Urip Sumoharjo", "Perintis Kemerdekaan", "Boulevard", "Hertasning", "Sultan Alauddin",
          "Somba Opu", "Penghibur", "Landak Baru", "Toddopuli Raya", "Veteran Selatan"]),
        ("Gowa", "Sulawesi Selatan", "DD", "", 20,
         ["Somba Opu", "Pallangga", "Bontomarannu"],
         ["Poros Malino", "Tun Abdul Razak", "Syekh Yusuf"]),
        ("Maros", "Sulawesi Selatan", "DD", "", 15,
         ["Turikale", "Mandai", "Marusu"],
         ["Poros Makassar-Maros", "Jenderal Sudirman", "Dr. Ratulangi"]),
    ],
    "jyp": [
        ("Jayapura", "Papua", "PA", "", 60,
         ["Jayapura Utara", "Jayapura Selatan", "Abepura", "Heram", "Muara Tami"],
         ["Raya Abepura", "Ahmad Yani", "Percetakan Negara", "Kotaraja", "Pasifik Permai", "Sam Ratulangi",
          "Raya Entrop", "Baru Kotaraja"]),
        ("Kabupaten Jayapura", "Papua", "PA", "", 30,
         ["Sentani", "Sentani Timur", "Waibu"],
         ["Raya Sentani", "Raya Kemiri", "Bandara Sentani"]),
        ("Keerom", "Papua", "PA", "", 10,
         ["Arso", "Skanto"],
         ["Trans Papua", "Raya Arso"]),
    ],
}

# Area codes for company office lines (phone_alt), by city.
AREA_CODES = {
    "Jakarta Selatan": "21", "Jakarta Timur": "21", "Depok": "21", "Tangerang Selatan": "21",
    "Bandung": "22", "Cimahi": "22", "Kabupaten Bandung": "22", "Sumedang": "261",
    "Surabaya": "31", "Sidoarjo": "31", "Gresik": "31",
    "Denpasar": "361", "Badung": "361", "Gianyar": "361", "Tabanan": "361",
    "Makassar": "411", "Gowa": "411", "Maros": "411",
    "Jayapura": "967", "Kabupaten Jayapura": "967", "Keerom": "967",
}

# Mobile prefixes (Telkomsel, Indosat, XL, Axis, Tri, Smartfren), after +62.
MOBILE_PREFIXES = ["811", "812", "813", "821", "822", "823", "852", "853", "851", "857", "858", "856", "877",
                   "878", "817", "818", "819", "838", "831", "895", "896", "897", "898", "881", "882", "887"]

TAGS = ["VIP", "Armada", "Prospek", "Pelanggan Setia", "Korporat"]

# --- Vehicles --------------------------------------------------------------------------
# (make, model, first model year, last model year or None, market weight, OTR price in
# million rupiah, km per day driven (commercial vehicles more), fleet vehicle)
VEHICLES = [
    ("Toyota", "Avanza", 2012, None, 16, 265, 40, False),
    ("Toyota", "Veloz", 2012, None, 4, 305, 40, False),
    ("Toyota", "Kijang Innova", 2012, 2022, 6, 390, 50, True),
    ("Toyota", "Innova Zenix", 2022, None, 4, 480, 50, False),
    ("Toyota", "Fortuner", 2012, None, 4, 610, 45, False),
    ("Toyota", "Rush", 2012, None, 5, 300, 40, False),
    ("Toyota", "Calya", 2016, None, 6, 175, 40, False),
    ("Toyota", "Agya", 2013, None, 5, 175, 35, False),
    ("Toyota", "Raize", 2021, None, 3, 265, 35, False),
    ("Toyota", "Yaris Cross", 2023, None, 2, 390, 35, False),
    ("Toyota", "Hilux", 2012, None, 2, 460, 80, True),
    ("Daihatsu", "Xenia", 2012, None, 7, 235, 40, False),
    ("Daihatsu", "Sigra", 2016, None, 6, 155, 40, False),
    ("Daihatsu", "Terios", 2012, None, 4, 255, 40, False),
    ("Daihatsu", "Ayla", 2013, None, 4, 150, 35, False),
    ("Daihatsu", "Rocky", 2021, None, 2, 245, 35, False),
    ("Daihatsu", "Gran Max Pick Up", 2012, None, 4, 185, 70, True),
    ("Honda", "Brio", 2012, None, 8, 185, 35, False),
    ("Honda", "HR-V", 2015, None, 4, 385, 35, False),
    ("Honda", "BR-V", 2016, None, 3, 305, 40, False),
    ("Honda", "CR-V", 2012, None, 2, 570, 40, False),
    ("Honda", "Jazz", 2012, 2020, 2, 265, 35, False),
    ("Honda", "Mobilio", 2014, 2022, 2, 235, 40, False),
    ("Honda", "WR-V", 2023, None, 1, 285, 35, False),
    ("Mitsubishi", "Xpander", 2017, None, 7, 285, 40, False),
    ("Mitsubishi", "Xpander Cross", 2019, None, 2, 325, 40, False),
    ("Mitsubishi", "Pajero Sport", 2016, None, 3, 610, 45, False),
    ("Mitsubishi", "L300", 2012, None, 3, 245, 75, True),
    ("Mitsubishi", "Triton", 2012, None, 1, 430, 80, True),
    ("Suzuki", "Ertiga", 2012, None, 5, 255, 40, False),
    ("Suzuki", "XL7", 2020, None, 2, 275, 40, False),
    ("Suzuki", "Carry Pick Up", 2012, None, 4, 165, 70, True),
    ("Suzuki", "Baleno", 2017, None, 1, 265, 35, False),
    ("Hyundai", "Creta", 2022, None, 2, 355, 35, False),
    ("Hyundai", "Stargazer", 2022, None, 2, 305, 40, False),
    ("Hyundai", "Ioniq 5", 2022, None, 1, 790, 35, False),
    ("Wuling", "Air ev", 2022, None, 2, 245, 25, False),
    ("Wuling", "Almaz", 2019, None, 1, 345, 40, False),
    ("Wuling", "Confero", 2017, None, 1, 195, 40, False),
    ("Nissan", "Livina", 2019, None, 1, 265, 40, False),
    ("BYD", "Atto 3", 2024, None, 1, 525, 35, False),
    ("BYD", "Dolphin", 2024, None, 1, 430, 30, False),
]

# World manufacturer identifiers (VIN positions 1-3) and plant codes (position 11 is
# used for uniqueness instead, see seed_demo).
VIN_WMI = {"Toyota": "MHF", "Daihatsu": "MHK", "Honda": "MHR", "Mitsubishi": "MK2", "Suzuki": "MHY",
           "Hyundai": "MF3", "Wuling": "MK3", "Nissan": "MHB", "BYD": "LGX"}

FINANCE_COMPANIES = ["BCA Finance", "Adira Finance", "Mandiri Tunas Finance", "Astra Credit Companies",
                     "Toyota Astra Financial Services", "Oto Multiartha", "BFI Finance", "Maybank Finance",
                     "CIMB Niaga Auto Finance", "Clipan Finance"]
INSURERS = ["Asuransi Astra (Garda Oto)", "Sinar Mas", "ACA", "Adira Insurance", "Allianz", "Zurich",
            "Tugu Insurance"]
TENORS = [12, 24, 36, 48, 60]

# Campaigns; {make} and {year} are filled in. They follow "SMS promo: " in a summary.
CAMPAIGNS_OWNER = [
    "paket servis Ramadan, gratis cek 23 item dan diskon suku cadang 15%",
    "gratis cek kendaraan sebelum mudik Lebaran",
    "diskon servis akhir tahun 20% untuk pemilik {make}",
    "diskon jasa servis 17% spesial HUT RI",
    "ganti oli gratis filter oli",
    "diskon body repair & cat 30% khusus bulan ini",
    "penawaran perpanjangan garansi untuk pemilik {make}",
    "gratis cuci mobil dan vakum interior setiap servis berkala",
    "ban beli 3 gratis 1",
]
CAMPAIGNS_PROSPECT = [
    "bonus tukar tambah Rp 10 juta untuk mobil lama Anda",
    "bunga 0% selama 2 tahun untuk model tertentu",
    "undangan pameran GIIAS {year}",
    "event test drive akhir pekan di showroom cabang",
    "gratis asuransi 1 tahun untuk pembelian akhir tahun",
    "DP ringan mulai 15% khusus bulan ini",
]

COMPETITORS = ["Toyota Avanza", "Mitsubishi Xpander", "Honda BR-V", "Suzuki Ertiga", "Hyundai Stargazer",
               "Daihatsu Xenia", "Wuling Almaz", "Honda HR-V"]

MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]

# --- Contact history -------------------------------------------------------------------
# (weight, kind, channel, direction, department, summary, needs)
# Summaries read like the notes the dealership's staff write (Bahasa Indonesia).
# Placeholders: {who} "Pak Budi"/"Bu Siti"/"bagian pembelian PT ...", {model} "Toyota Avanza",
# {model2} another model, {plate}, {price}, {dp}, {finance}, {tenor} (months), {quote}, {date}
# "12 Des 2025", a day shortly after the touch, {due}, {km} "40.000", {amount}, {campaign},
# {insurer}, {district}, {branch}, {competitor}, {tradein}, {vin}, {ticket}.
# needs: "" none, "sms" SMS consent, "email" an email address, "email_consent" both.
PROSPECT_TEMPLATES = [
    (10, "call", "phone", "out", "sales", "Telepon {who} soal {model}; test drive dijadwalkan {date}.", ""),
    (8, "call", "phone", "in", "sales",
     "{who} minta daftar harga dan info diskon bulan ini untuk {model}.", ""),
    (6, "visit", "in_person", "in", "sales",
     "Datang ke showroom bersama keluarga, membandingkan {model} dengan {model2}.", ""),
    (6, "visit", "in_person", "in", "sales",
     "Test drive {model} keliling {district}; suka kabinnya yang lega, tanya soal konsumsi BBM.", ""),
    (6, "quotation", "email", "out", "sales", "Penawaran {quote} dikirim via email: {model}, harga OTR {price}.",
     "email"),
    (5, "quotation", "email", "out", "sales",
     "Simulasi kredit {model}: DP {dp}, tenor {tenor} bulan via {finance}.", "email"),
    (3, "quotation", "in_person", "out", "sales",
     "Penawaran tertulis {quote} diserahkan di showroom: {model}, harga OTR {price}.", ""),
    (4, "sms", "sms", "out", "sales", "Brosur dan daftar harga {model} dikirim lewat SMS sesuai permintaan.", "sms"),
    (5, "call", "phone", "out", "sales",
     "Follow up via telepon: {who} masih membandingkan {model} dengan {competitor}; hubungi lagi bulan depan.",
     ""),
    (3, "note", "system", "internal", "sales",
     "Prospek serius: budget maksimal {price}, ingin terima unit sebelum Lebaran.", ""),
    (5, "web_form", "web", "in", "marketing", "Form website: minta jadwal test drive {model}.", ""),
    (3, "web_form", "web", "in", "marketing", "Unduh brosur {model} di website dan minta ditelepon balik.", ""),
    (4, "campaign_message", "sms", "out", "marketing", "SMS promo: {campaign}.", "sms"),
    (3, "email", "email", "out", "marketing",
     "Newsletter: undangan peluncuran {model} di {branch}.", "email_consent"),
    (2, "call", "phone", "out", "branch_mgmt", "Kepala cabang telepon, tawarkan harga khusus untuk {model}.", ""),
]

PURCHASE_TEMPLATES = {
    "order": ("order", "in_person", "in", "sales",
              "SPK ditandatangani untuk {model}; DP {dp} diterima, kredit via {finance}."),
    "allocation": ("note", "system", "internal", "shipment",
                   "Unit {model} (VIN {vin}) sudah dialokasikan dari distributor; rencana kirim {date}."),
    "pdi": ("note", "system", "internal", "qc",
            "PDI {model} lulus; baret halus di bumper belakang sudah dipoles."),
    "delivery": ("visit", "in_person", "out", "shipment",
                 "Serah terima {model} ke {who}; nopol {plate} sudah terbit, STNK diserahkan."),
}

OWNER_TEMPLATES = [
    (12, "service_visit", "in_person", "in", "service",
     "Servis berkala {km} km untuk {plate}: ganti oli mesin, filter oli, cek rem. Total {amount}.", ""),
    (6, "call", "phone", "in", "service", "Booking servis {plate} dikonfirmasi untuk {date}, pukul 09.00.", ""),
    (6, "call", "phone", "out", "service",
     "Telepon pengingat: {plate} sudah waktunya servis {km} km; konsumen akan datang {date}.", ""),
    (5, "sms", "sms", "out", "service", "SMS pengingat: servis berkala {plate} jatuh tempo {due}.", "sms"),
    (5, "sms", "sms", "out", "service", "SMS: {model} ({plate}) sudah selesai servis dan siap diambil; total {amount}.",
     "sms"),
    (3, "service_visit", "in_person", "in", "service",
     "Rotasi ban dan spooring {plate}; ban depan sebaiknya diganti dalam 5.000 km lagi.", ""),
    (2, "service_visit", "in_person", "in", "service", "Ganti aki {plate}; hasil tes aki lama sudah lemah.", ""),
    (2, "service_visit", "in_person", "in", "service",
     "Perbaikan bodi {plate} setelah kecelakaan ringan; klaim ke {insurer}.", ""),
    (2, "complaint", "phone", "in", "service",
     "Keluhan {ticket}: AC {plate} masih kurang dingin setelah servis terakhir; cek ulang dijadwalkan {date}.", ""),
    (1, "complaint", "in_person", "in", "service",
     "Keluhan {ticket}: konsumen menunggu 4 jam di bengkel untuk servis rutin {plate}.", ""),
    (1, "complaint", "email", "in", "qc",
     "Keluhan {ticket}: ada bunyi berisik dari dasbor {plate}.", "email"),
    (2, "call", "phone", "out", "qc",
     "Telepon follow up setelah perbaikan {plate}: konsumen puas, memberi nilai 9 dari 10.", ""),
    (1, "note", "system", "internal", "qc",
     "Cek hasil perbaikan ulang {plate}: bunyi rem sudah hilang, tes jalan OK.", ""),
    (5, "campaign_message", "sms", "out", "marketing", "SMS promo: {campaign}.", "sms"),
    (3, "email", "email", "out", "marketing", "Newsletter: aksesori dan perpanjangan garansi untuk {model}.",
     "email_consent"),
    (2, "campaign_message", "email", "out", "head_office",
     "Survei kepuasan konsumen dikirim setelah kunjungan terakhir {plate} ke bengkel.", "email_consent"),
    (2, "call", "phone", "out", "sales", "Tawarkan tukar tambah {model} ({plate}) dengan {model2} baru.", ""),
    (1, "quotation", "email", "out", "sales", "Penawaran tukar tambah {quote}: {model} ({plate}) ditaksir {tradein}.",
     "email"),
    (1, "call", "phone", "in", "shipment", "Konsumen tanya BPKB {plate}; sudah bisa diambil di cabang.", ""),
    (1, "call", "phone", "out", "branch_mgmt",
     "Kepala cabang telepon minta maaf atas keterlambatan servis {plate}; diberi gratis cuci mobil.", ""),
    (1, "note", "system", "internal", "branch_mgmt",
     "Keluhan soal {plate} sudah ditinjau bersama bengkel dan ditutup.", ""),
    (2, "web_form", "web", "in", "service", "Booking servis online untuk {plate} tanggal {date}.", ""),
]
