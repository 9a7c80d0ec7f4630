"""Word lists for the demo data: Indonesian names, places and vehicles."""

FIRST_NAMES = """Adi Agus Ahmad Aldi Andi Anita Annisa Arif Ayu Bambang Bayu Budi Citra Dedi Dewi Dian Dimas Dina
Eka Eko Endang Fajar Fitri Gilang Hadi Hendra Heru Ika Indah Indra Intan Irwan Joko Kartika Lestari Lina Made
Maya Mega Nanda Novi Nur Nyoman Oktavia Putri Putu Rahmat Rama Ratna Reza Rina Rizki Sari Sekar Siti Sri Tri
Wahyu Wayan Widya Yanti Yoga Yudi Yuni Zainal Agung Asep Bagus Cahya Danu Evi Farhan Galih Hana Ilham Jaya Ketut
Lukman Melati Nia Purnama Rudi Sinta Taufik Umar Vina Wulan Yusuf Zahra Abdul Bima Cindy Darma Elisa Fransiska
Gede Hari Imam Johan Kadek Laras Mulyadi Nengah Oki Pratiwi Robert Samuel Theresia Ucok Veronika Wawan Yohanes
Aryo Bonifasius Daeng Empat Fikri Hasan Iwan Januar Komang Liem Martinus Ningsih Paulus Rosa Slamet Tono Utami
Yosef Andreas Benny Christina Daniel Edi Ferry Gunawan Hendrik Irene Kevin Lucky Michael Nathan Okta Petrus""".split()

LAST_NAMES = """Santoso Wijaya Saputra Pratama Hidayat Nugroho Kusuma Siregar Nasution Lubis Harahap Simanjuntak
Sihombing Hutapea Tambunan Panjaitan Sinaga Situmorang Wibowo Setiawan Gunawan Halim Tanoto Salim Susanto
Purnomo Suharto Sutrisno Rahman Hakim Iskandar Firmansyah Ramadhan Permana Maulana Kurniawan Hartono Budiman
Wahyudi Suryadi Syahputra Daulay Manurung Pardede Simatupang Sitompul Tarigan Ginting Sembiring Karo Surbakti
Pangaribuan Mahendra Adiputra Darmawan Anggara Suparman Sugiarto Setiadi Prasetyo Utomo Hermawan Rusdi
Sulistyo Wijayakusuma Pranoto Suwandi Tjahjadi Lim Tan Wongso Kartawijaya Sastrowardoyo Mangkusubroto
Pattimura Latuconsina Wattimena Rumbiak Kogoya Wenda Mandacan Tuasikal Rumagesan Sapulete Manuputty
Pakpahan Sianipar Napitupulu Rangkuti Matondang Batubara Pohan Ritonga Hasibuan Dalimunthe Nainggolan
Putra Putri Wardhana Rachman Sudirman Yulianto Saragih Purba Damanik Girsang Sidabutar Marpaung
Ambarita Manalu Gultom Tobing Silalahi Sibarani Aritonang Simbolon Samosir Rajagukguk Lumbantobing
Sukarno Hatta Ardiansyah Fauzi Anwar Zulkarnain Junaidi Sofyan Kamal Husein Baharuddin Mappanyukki
Pallawa Rapi Mattalatta Daeng Pawennari Massenrempulu Tandiayu Toding Rante Tangdilintin""".split()

COMPANY_WORDS = """Sinar Jaya Makmur Abadi Sentosa Mandiri Karya Utama Sejahtera Maju Bersama Nusantara Prima
Logistik Transportasi Niaga Angkutan Armada Mitra Cahaya Bintang Samudra Perkasa Gemilang Lestari""".split()

STREETS = [
    "Sudirman", "Thamrin", "Gatot Subroto", "Diponegoro", "Ahmad Yani", "Pahlawan", "Merdeka", "Veteran",
    "Pemuda", "Asia Afrika", "Dago", "Pasteur", "Raya Darmo", "Basuki Rahmat", "Gajah Mada", "Hayam Wuruk",
    "Teuku Umar", "Sunset Road", "A.P. Pettarani", "Sam Ratulangi", "Raya Abepura", "Kotaraja", "Cendrawasih",
    "Kenanga", "Melati", "Mawar", "Anggrek", "Kartini", "Imam Bonjol", "Panglima Polim",
]

# code: (name, city, province, time zone, plate prefixes, nearby cities)
BRANCHES = {
    "pusat": ("Kantor Pusat Jakarta", "Jakarta Pusat", "DKI Jakarta", "Asia/Jakarta", ["B"], []),
    "jks": ("Cabang Jakarta Selatan", "Jakarta Selatan", "DKI Jakarta", "Asia/Jakarta", ["B"],
            ["Jakarta Selatan", "Depok", "Tangerang Selatan", "Jakarta Timur"]),
    "bdg": ("Cabang Bandung", "Bandung", "Jawa Barat", "Asia/Jakarta", ["D"], ["Bandung", "Cimahi", "Sumedang"]),
    "sby": ("Cabang Surabaya", "Surabaya", "Jawa Timur", "Asia/Jakarta", ["L", "W"], ["Surabaya", "Sidoarjo", "Gresik"]),
    "dps": ("Cabang Denpasar", "Denpasar", "Bali", "Asia/Makassar", ["DK"], ["Denpasar", "Badung", "Gianyar"]),
    "mks": ("Cabang Makassar", "Makassar", "Sulawesi Selatan", "Asia/Makassar", ["DD"], ["Makassar", "Gowa", "Maros"]),
    "jyp": ("Cabang Jayapura", "Jayapura", "Papua", "Asia/Jayapura", ["PA"], ["Jayapura", "Sentani", "Abepura"]),
}

VEHICLES = [
    ("Toyota", "Avanza"), ("Toyota", "Innova Zenix"), ("Toyota", "Fortuner"), ("Toyota", "Rush"),
    ("Toyota", "Calya"), ("Toyota", "Raize"), ("Daihatsu", "Xenia"), ("Daihatsu", "Sigra"), ("Daihatsu", "Terios"),
    ("Daihatsu", "Gran Max"), ("Honda", "Brio"), ("Honda", "HR-V"), ("Honda", "BR-V"), ("Honda", "CR-V"),
    ("Mitsubishi", "Xpander"), ("Mitsubishi", "Pajero Sport"), ("Mitsubishi", "L300"), ("Suzuki", "Ertiga"),
    ("Suzuki", "XL7"), ("Suzuki", "Carry"), ("Hyundai", "Creta"), ("Wuling", "Air ev"), ("Nissan", "Livina"),
]

MOBILE_PREFIXES = ["811", "812", "813", "821", "822", "852", "853", "857", "858", "877", "878", "895", "896",
                   "881", "838", "819"]
EMAIL_DOMAINS = ["gmail.com", "yahoo.co.id", "outlook.com", "ymail.com", "mail.id"]
TAGS = ["VIP", "Fleet", "Prospect", "Loyal", "Corporate"]
