#!/usr/bin/env python3
"""Generate the bundled sample URP mailbox of urpmail.

Writes a Maildir at samples/mailbox/ (cur/, new/, tmp/) and the manifest
samples/mailbox-manifest.json, for the fictional "Comune di Borgo Esempio".

Python 3 standard library only and fully deterministic: a fixed seed, no
wall-clock time, no hash-order dependence, so every run writes the same bytes.

    python3 scripts/gen_sample_mailbox.py            # writes samples/
    python3 scripts/gen_sample_mailbox.py --out DIR  # writes DIR/mailbox, DIR/mailbox-manifest.json
    python3 scripts/gen_sample_mailbox.py --quiet    # no summary tables on stdout

All people, addresses, phone numbers, codici fiscali and IBANs are invented.
The message bodies are hand-written for this sample and are not taken from the
training corpus (models/corpus), so the sample shows the classifier unseen mail.
"""

import argparse
import base64
import datetime as dt
import html
import json
import os
import quopri
import random
import shutil
import sys
import textwrap
from pathlib import Path

SEED = 20250611

COMUNE = "Comune di Borgo Esempio"
DOMAIN = "comune.borgoesempio.it"
URP_ADDR = "urp@comune.borgoesempio.it"
PEC_BOX = "protocollo@pec.comune.borgoesempio.it"
CAP = "99099"
PROV = "BE"

# --------------------------------------------------------------------------
# Plan: citizen messages per topic and year, PEC transport envelopes per topic
# --------------------------------------------------------------------------

TOPIC_IDS = [
    "anagrafe", "tributi", "impianti-termici", "servizi-online", "edilizia",
    "attivita-produttive", "mobilita", "polizia-municipale", "lavori-pubblici",
    "ambiente", "sociale", "scuola", "cultura-sport", "lavoro", "cimiteri",
    "rapporti-ente", "altri-enti", "altro",
]

# topic: (messages in 2024, messages in 2025, PEC transport envelopes over both years)
CITIZEN_PLAN = {
    "tributi":             (16, 20, 4),
    "anagrafe":            (13, 16, 2),
    "ambiente":            (11, 15, 1),
    "mobilita":            (9, 12, 1),
    "servizi-online":      (8, 13, 0),
    "lavori-pubblici":     (7, 9, 1),
    "polizia-municipale":  (6, 7, 3),
    "sociale":             (5, 7, 2),
    "scuola":              (5, 7, 0),
    "edilizia":            (4, 5, 4),
    "attivita-produttive": (4, 6, 3),
    "cultura-sport":       (4, 5, 0),
    "rapporti-ente":       (4, 6, 4),
    "altri-enti":          (4, 5, 1),
    "altro":               (3, 5, 0),
    "impianti-termici":    (3, 5, 1),
    "cimiteri":            (3, 5, 1),
    "lavoro":              (3, 5, 2),
}

# Anomaly envelopes (X-Trasporto: errore) wrapping ordinary citizen mail: (topic, year)
ANOMALY_PLAN = [("ambiente", 2024), ("servizi-online", 2025), ("anagrafe", 2025)]

# Excluded mail: kind -> (2024, 2025)
EXCLUDED_PLAN = {
    "pec-receipt": (8, 11),
    "auto-reply": (5, 7),
    "bounce": (3, 5),
    "bulk": (6, 8),
    "internal": (6, 7),
}

# Month weights (Jan..Dec): the seasonal pattern
DEFAULT_MONTHS = [8, 8, 9, 9, 9, 8, 8, 6, 9, 9, 9, 7]
SEASON = {
    "tributi":          [5, 5, 7, 10, 12, 13, 6, 3, 5, 6, 14, 9],
    "impianti-termici": [3, 1, 1, 1, 1, 1, 1, 1, 6, 16, 14, 5],
    "scuola":           [6, 5, 2, 2, 5, 3, 2, 18, 20, 4, 2, 1],
    "cimiteri":         [2, 2, 2, 3, 3, 2, 2, 2, 4, 18, 8, 2],
    "ambiente":         [5, 5, 8, 9, 10, 12, 13, 11, 9, 7, 5, 4],
    "anagrafe":         [7, 8, 9, 10, 11, 11, 9, 6, 8, 8, 8, 6],
    "cultura-sport":    [5, 5, 6, 7, 9, 10, 10, 7, 8, 6, 6, 9],
    "mobilita":         [7, 8, 8, 8, 8, 8, 7, 5, 11, 10, 9, 8],
}
HOUR_WEIGHTS = {0: 1, 6: 1, 7: 4, 8: 8, 9: 12, 10: 12, 11: 11, 12: 8, 13: 5, 14: 6,
                15: 8, 16: 8, 17: 7, 18: 6, 19: 4, 20: 3, 21: 4, 22: 3, 23: 2}

# --------------------------------------------------------------------------
# Hand-written citizen bodies. style: f = formal, n = neutral, i = informal.
# raw=True: the body already carries its own greeting/closing (or none).
# Slots in braces are filled per message.
# --------------------------------------------------------------------------


def B(style, subjects, body, raw=False, who=None, org=None, attach=None):
    return {"style": style, "subjects": subjects, "body": body.strip("\n"),
            "raw": raw, "who": who, "org": org, "attach": attach}


BODIES = {}

BODIES["anagrafe"] = [
    B("i", ["cambio residenza", "Info cambio di residenza", "trasferimento residenza da {citta_orig}"], """
mi sono trasferita da {citta_orig} a Borgo Esempio il mese scorso, adesso abito in {via} {civico} in affitto. Vorrei fare il cambio di residenza per me, mio marito e i due bambini.

Devo prendere appuntamento allo sportello oppure posso mandare tutto per email? E che documenti servono, basta il contratto di affitto registrato?
"""),
    B("f", ["Richiesta certificati di stato di famiglia", "Richiesta n. 2 certificati anagrafici"], """
Il sottoscritto {nome_completo}, residente in {via} {civico}, chiede il rilascio di n. 2 certificati di stato di famiglia storico riferiti al nucleo del defunto padre, necessari per la pratica di successione in corso presso lo studio notarile.

Chiedo cortesemente di sapere se i certificati possono essere trasmessi a questo indirizzo di posta elettronica oppure se devo ritirarli presso lo sportello dei Servizi Demografici, e a quanto ammontano i diritti di segreteria e l'eventuale imposta di bollo.
"""),
    B("n", ["Prenotazione CIE - richiesta appuntamento anticipato", "appuntamento carta d'identità", "CIE in scadenza"], """
la mia carta d'identità scade il {data_fut} e a luglio devo partire per un viaggio all'estero con i miei figli minorenni, che non hanno ancora un documento valido per l'espatrio.

Sull'agenda online per la prenotazione CIE il primo posto libero è a fine settembre. C'è un modo per avere un appuntamento prima? Va bene qualsiasi orario, anche di primo mattino, e siamo disposti ad andare anche nella sede distaccata di {frazione}.
"""),
    B("i", ["carta identita persa", "smarrimento documento", "ho perso la carta d'identità"], """
buongiorno ho perso il portafoglio al mercato con dentro la carta di identita. ho gia fatto la denuncia ai carabinieri ieri sera. cosa devo portare per rifarla?? serve la fototessera o la fate voi? e quanto si paga

grazie
""", raw=True),
    B("n", ["Tessera elettorale esaurita", "duplicato tessera elettorale", "Tessera elettorale piena, come fare?"], """
mi sono accorto che sulla mia tessera elettorale non ci sono più spazi liberi per il timbro del seggio. Per le prossime elezioni come posso avere una nuova tessera?

L'ufficio elettorale resta aperto anche nei giorni del voto? Io lavoro fino alle 18 e durante la settimana non riesco a passare.
"""),
    B("f", ["Domanda iscrizione albo scrutatori", "Iscrizione all'albo degli scrutatori di seggio"], """
vorrei essere inserito nell'albo delle persone idonee all'ufficio di scrutatore di seggio elettorale. Sono residente a Borgo Esempio, ho {eta} anni e sono in possesso del diploma di scuola secondaria superiore.

Chiedo di sapere entro quale data deve essere presentata la domanda e se è possibile inviarla per posta elettronica allegando copia del documento di identità, oppure se è necessario consegnarla all'Ufficio Elettorale.
"""),
    B("n", ["Iscrizione AIRE", "Trasferimento all'estero - AIRE", "domanda su AIRE e residenza"], """
vi scrivo da Lione, dove vivo e lavoro ormai da due anni. Non mi sono ancora iscritto all'AIRE e un collega mi ha detto che è obbligatorio per chi si trasferisce all'estero per più di dodici mesi.

Devo fare tutto tramite il consolato oppure prima devo cancellarmi dall'anagrafe del Comune? Nel frattempo la posta continua ad arrivare a casa di mia madre, in {via} {civico}: è un problema se per un periodo risulto ancora residente lì?
"""),
    B("i", ["matrimonio civile", "info per sposarci in comune", "Pubblicazioni di matrimonio"], """
Salve, io e la mia compagna vorremmo sposarci con rito civile a settembre dell'anno prossimo, se possibile nella sala del consiglio o in qualche posto carino del comune (abbiamo visto foto di matrimoni nel chiostro).
come funzionano le pubblicazioni di matrimonio? lei e residente a Bologna, e un problema? e quanto costa la sala?
grazie ciao
""", raw=True),
    B("n", ["Giuramento cittadinanza italiana", "prenotazione giuramento cittadinanza"], """
sono nata in Albania e vivo in Italia dal 2009. La settimana scorsa mi è stato notificato il decreto di concessione della cittadinanza italiana dalla Prefettura.

Mi hanno spiegato che devo prestare giuramento in Comune entro sei mesi dalla notifica. Come si fissa la data? Servono dei testimoni e devo portare una marca da bollo? Dopo il giuramento posso chiedere subito la carta d'identità come cittadina italiana?
"""),
    B("n", ["Pratica di residenza ancora in sospeso", "Sollecito iscrizione anagrafica", "Residenza non ancora registrata"], """
il {data_rel} ho presentato la dichiarazione di cambio di residenza (pratica n. {num}) ma finora nessuno è passato per l'accertamento e la pratica risulta ancora in istruttoria.

Il medico di base mi dice che finché la residenza non è registrata non può prendermi in carico, e nel frattempo mi servirebbe anche il certificato di residenza per l'iscrizione in palestra di mia figlia. Potete dirmi a che punto siamo?
"""),
    B("f", ["Richiesta autentica di firma a domicilio", "Autentica firma per persona allettata"], """
mio padre, {anziano}, è allettato da alcuni mesi e deve firmare l'atto di vendita del suo veicolo, per il quale serve l'autentica di firma.

Chiedo se è possibile che un funzionario dell'ufficio anagrafe si rechi al suo domicilio in frazione {frazione} per l'autenticazione, e quale documentazione medica occorre presentare per attestare l'impedimento. Resto disponibile a concordare giorno e orario.
"""),
    B("i", ["dichiarazione di nascita", "Nascita figlio - dichiarazione in comune"], """
Il {data_rel} è nato nostro figlio {figlio} all'ospedale di {citta_osp}!! In ospedale ci hanno detto che la dichiarazione di nascita si può fare anche nel comune di residenza entro 10 giorni.

Mia moglie per ora non può muoversi, basta che venga io con il certificato di assistenza al parto? Dobbiamo prenotare o si va direttamente? Il codice fiscale del bimbo lo date voi o dobbiamo andare all'agenzia?
"""),
]

BODIES["tributi"] = [
    B("f", ["Avviso TARI {anno} - richiesta di rettifica", "Rettifica superficie e occupanti TARI", "TARI {anno} importo non corretto"], """
ho ricevuto l'avviso di pagamento TARI {anno} per un importo complessivo di {importo} euro. Nell'avviso la superficie dell'abitazione di {via} {civico} è indicata in 140 mq, mentre dalla planimetria catastale risulta di 86 mq. Inoltre sono conteggiati quattro occupanti, mentre dal mese di marzo il nucleo è composto da due persone, poiché mio figlio ha trasferito la residenza.

Chiedo pertanto la rettifica dell'avviso e il ricalcolo dell'importo dovuto. Allego la planimetria e il documento d'identità.
"""),
    B("i", ["IMU casa ereditata", "come si paga l'imu??", "IMU prima volta"], """
ciao, devo pagare l'IMU per la casa che ho ereditato da mia nonna a {frazione}, e la prima volta che lo faccio e non ci capisco niente. Che codice tributo va messo sul modello F24? L'acconto di giugno si calcola su metà anno o su tutto? Ho la visura catastale con la rendita, se vi serve ve la mando.
Qualcuno mi puo aiutare o devo per forza andare da un CAF?
""", raw=True),
    B("f", ["Richiesta di rimborso TARI - doppio versamento", "Istanza di rimborso somme versate in eccesso"], """
nel corso del {anno_prec} ho versato due volte la prima rata della TARI, una volta tramite avviso pagoPA e una volta tramite modello F24, come risulta dalle quietanze che allego.

Chiedo il rimborso della somma versata in eccesso, pari a {importo} euro, mediante accredito sul conto corrente intestato al sottoscritto, IBAN {iban}. In alternativa, chiedo che l'importo sia compensato con la prima rata dell'anno in corso.
"""),
    B("f", ["Istanza di annullamento in autotutela avviso di accertamento IMU {anno_m5}", "Avviso di accertamento IMU - terreno venduto"], """
in data {data_rel} mi è stato notificato l'avviso di accertamento IMU n. {num} relativo all'anno d'imposta {anno_m5}, riferito a un terreno agricolo in località {frazione}, foglio 8 particella 112.

Tale terreno è stato da me venduto con atto notarile del {anno_m6}, di cui allego copia: per l'anno accertato non ero quindi soggetto passivo. Chiedo l'annullamento dell'avviso in autotutela. In mancanza di riscontro entro i termini, sarò costretto a presentare ricorso alla Corte di giustizia tributaria.
"""),
    B("i", ["rateizzazione tari", "Richiesta rate TARI", "possibile pagare a rate?"], """
da qualche mese ho perso il lavoro e non riesco a pagare tutto l'avviso della TARI in una volta sola, sono {importo} euro. È possibile chiedere la rateizzazione? Anche in 6 o 8 rate mensili andrebbe bene.
Devo compilare un modulo o basta questa mail?
"""),
    B("i", ["tassa rifiuti non arrivata", "non ho ricevuto l'avviso tari", "bollettini TARI?"], """
scusate ma quest'anno non mi e arrivato niente per la tassa rifiuti, ne per posta ne per mail. Le scadenze sono le stesse dell anno scorso? Come faccio a pagare senza il bollettino? Non vorrei prendere la multa per il ritardo perche l'anno scorso e successo a mia sorella
"""),
    B("f", ["Cessazione utenza TARI", "Comunicazione cessazione occupazione immobile", "Chiusura posizione TARI"], """
comunico che dal {data_rel} ho lasciato l'appartamento in locazione sito in {via} {civico}, interno 4, riconsegnando le chiavi alla proprietà come da verbale che allego.

Chiedo quindi la cessazione dell'utenza TARI intestata a mio nome a partire da tale data e il calcolo dell'eventuale conguaglio. Per le comunicazioni future potete utilizzare questo indirizzo e-mail.
"""),
    B("n", ["Comodato gratuito a figlia - riduzione IMU", "Riduzione IMU per comodato d'uso"], """
dal {data_rel_prec} ho concesso in comodato d'uso gratuito a mia figlia l'appartamento al piano terra della casa in cui abito, e il contratto è stato regolarmente registrato.

Vorrei sapere se ho diritto alla riduzione del 50% della base imponibile IMU e se devo presentare la dichiarazione IMU entro il 30 giugno dell'anno successivo. Mia figlia ha già spostato lì la residenza. L'aliquota da applicare è quella ordinaria?
"""),
    B("n", ["Imposta di soggiorno - versamento trimestrale", "Dubbi su versamento imposta di soggiorno"], """
gestisco un piccolo B&B con tre camere in {via}. Non mi è chiaro come versare l'imposta di soggiorno incassata nell'ultimo trimestre: sul sito trovo indicato sia il bonifico su IBAN sia il pagamento con avviso pagoPA.

Inoltre vorrei sapere entro quando va presentata la dichiarazione annuale per il {anno_prec} e se va inviata solo in modalità telematica. L'anno scorso i bambini sotto i 12 anni erano esenti, vale ancora?
"""),
    B("n", ["Sollecito di pagamento TARI già pagata", "sollecito non dovuto", "Ho già pagato!!"], """
ho ricevuto oggi un sollecito di pagamento per la seconda rata TARI {anno_prec}, con tanto di sanzione e interessi. Io quella rata l'ho pagata regolarmente il {data_rel_prec} all'ufficio postale, ho ancora la ricevuta che vi allego.

Vi chiedo di verificare e di annullare il sollecito. Non è la prima volta che succede: anche due anni fa avevo ricevuto un avviso per un pagamento già fatto. Ditemi se devo anche venire allo sportello dell'ufficio tributi.
"""),
    B("f", ["Aliquote IMU {anno} e delibera", "Richiesta informazioni aliquote IMU {anno}"], """
sono un commercialista e assisto diversi contribuenti proprietari di immobili nel vostro Comune. Sul portale del Dipartimento delle Finanze risultano pubblicate ancora le aliquote IMU dell'anno precedente.

Vi chiedo di sapere se sono state approvate le aliquote per il {anno}, in particolare per i fabbricati di categoria D e per gli immobili locati a canone concordato, e se sono previste agevolazioni per gli immobili concessi in comodato. Ringrazio per la collaborazione.
""", who="pro-tributi"),
    B("i", ["canone passo carrabile che non c'è più", "Canone unico - richiesta annullamento"], """
mi è arrivato il bollettino del canone unico per un passo carrabile in {via} {civico} che non esiste più dal 2019: abbiamo murato il cancello e il marciapiede è stato rifatto. Ogni anno lo pago pensando che prima o poi sistemassero, ma adesso basta.
Come faccio a chiedere la cancellazione e il rimborso di quello che ho pagato negli ultimi anni?
"""),
]

BODIES["impianti-termici"] = [
    B("i", ["bollino caldaia", "controllo caldaia e bollino", "domanda bollino calore pulito"], """
il manutentore ha fatto il controllo della caldaia a ottobre e mi ha lasciato il rapporto di controllo. Mi ha detto che va pagato anche il bollino ma non ho capito se lo devo pagare io al Comune o se lo carica lui nel catasto degli impianti termici.
Come faccio a verificare che sia tutto registrato? Non vorrei ritrovarmi con una sanzione.
"""),
    B("n", ["Richiesta di spostamento ispezione impianto termico", "Ispezione caldaia - cambio data"], """
ho ricevuto una lettera che mi comunica l'ispezione dell'impianto termico della mia abitazione di {via} {civico} fissata per il {data_fut}. Quel giorno sono fuori per lavoro e non c'è nessuno in casa: è possibile spostare l'appuntamento alla settimana successiva?

Segnalo inoltre che la caldaia è stata sostituita lo scorso anno e che il libretto di impianto è aggiornato, con l'ultima prova fumi effettuata a settembre. Se l'ispezione riguarda il vecchio generatore forse non è più necessaria.
"""),
    B("f", ["{condominio} - adempimenti centrale termica", "Dichiarazione di avvenuta manutenzione centrale termica"], """
in qualità di amministratore del {condominio}, sito in {via} {civico}, chiedo chiarimenti sugli adempimenti relativi alla centrale termica condominiale (potenza 180 kW, alimentazione a metano), per la quale è stato nominato terzo responsabile la ditta Termoservizi Esempio s.r.l.

In particolare chiedo se la dichiarazione di avvenuta manutenzione vada trasmessa entro il 31 dicembre e se il contributo per la verifica dell'impianto sia dovuto per ogni generatore o per l'intera centrale. Allego copia dell'ultimo rapporto di controllo di efficienza energetica.
""", who="org", org="Studio Amministrazioni Condominiali {cognome}"),
    B("n", ["Disattivazione vecchia caldaia", "caldaia dismessa - comunicazione", "Impianto termico non più attivo"], """
nel {anno_prec} abbiamo smontato la vecchia caldaia a gasolio e installato una pompa di calore elettrica. Continuiamo però a ricevere lettere che ci chiedono il contributo per il controllo dell'impianto termico e la copia del libretto.

Dobbiamo comunicare formalmente la disattivazione dell'impianto? C'è un modulo apposito? L'installatore dice che la pratica l'ha già fatta lui, ma evidentemente qualcosa non è arrivato.
"""),
    B("i", ["stufa pellet libretto?", "stufa a pellet controllo fumi"], """
salve ho una stufa a pellet da 12 kW in soggiorno oltre alla caldaia a metano. la stufa deve avere anche lei il libretto di impianto e il controllo dei fumi? il mio tecnico dice di no ma il vicino dice che ha preso la multa per questo. chi ha ragione?
grazie mille
""", raw=True),
    B("i", ["accensione riscaldamento", "Quando si possono accendere i termosifoni?"], """
quest'anno da quando si possono accendere i riscaldamenti? In casa abbiamo 16 gradi la mattina e c'è mia suocera di 90 anni. Siamo in zona climatica E o F? Ho letto cose diverse su internet e non vorrei sbagliare, anche perché l'impianto è centralizzato e l'amministratore dice che decide il Comune.
"""),
    B("n", ["Problema caricamento RCEE sul catasto impianti", "Manutentore - accesso al catasto impianti termici"], """
sono un manutentore abilitato e seguo circa quaranta impianti termici di clienti residenti a Borgo Esempio. Da inizio mese non riesco a caricare i rapporti di controllo RCEE sul catasto regionale degli impianti termici: il sistema mi dice che i codici degli impianti non sono associati al mio profilo.

A chi mi devo rivolgere? È competenza del Comune o dell'agenzia energetica? Ho scadenze con i clienti e non vorrei che risultassero inadempienti per colpa mia.
""", who="org", org="Termoidraulica {cognome} di {nome} {cognome}"),
    B("f", ["Contestazione sanzione per mancata manutenzione impianto termico", "Richiesta di archiviazione - impianto termico"], """
ho ricevuto la contestazione per mancata manutenzione dell'impianto termico per l'anno {anno_prec}. La manutenzione è stata invece regolarmente eseguita il {data_rel_prec} dalla ditta incaricata, che però non ha trasmesso la dichiarazione né applicato il bollino.

Allego copia del rapporto di controllo di efficienza energetica firmato dal tecnico e della relativa fattura. Chiedo l'archiviazione del procedimento sanzionatorio.
"""),
]

BODIES["servizi-online"] = [
    B("i", ["password non funziona", "non riesco ad accedere al portale", "recupero password"], """
non riesco più ad entrare nel portale dei servizi online del comune, mi dice che la password è scaduta. Quando faccio il recupero password non mi arriva nessuna mail, ho controllato anche nello spam. Il nome utente è il mio codice fiscale.
Come posso fare? Devo venire all'URP?
"""),
    B("n", ["Errore accesso con SPID", "Login SPID non funziona", "Errore 500 dopo autenticazione SPID"], """
da qualche giorno provo ad accedere con SPID allo sportello telematico per scaricare un certificato, ma dopo l'autenticazione con l'app del mio gestore vengo rimandato alla pagina iniziale con il messaggio "Errore 500 - richiesta non valida".

Ho provato sia dal computer (Chrome e Firefox) sia dal telefono, con lo stesso risultato. Con lo stesso SPID accedo normalmente ai siti di altre amministrazioni, quindi credo che il problema sia del vostro portale.
"""),
    B("i", ["PIN della CIE", "CieID non ho il PIN", "accesso con carta d'identità elettronica"], """
vorrei accedere ai servizi online con la carta d'identità elettronica tramite l'app CieID ma non ho il PIN. Ho trovato solo la seconda parte del PUK, la prima parte (quella consegnata allo sportello) l'ho persa.
C'è un modo per recuperare il PIN senza rifare la carta?
"""),
    B("n", ["Avviso pagoPA non riconosciuto dall'app IO", "Codice avviso pagoPA non valido", "pagamento online non va"], """
sto provando a pagare un avviso pagoPA del Comune tramite l'app IO, inquadrando il QR code, ma mi dice "avviso non trovato". Ho provato anche inserendo a mano il codice avviso e il codice fiscale dell'ente, stesso errore. Sul sito dei pagamenti online invece la pagina si blocca dopo aver scelto la carta.

Il pagamento scade a fine mese, come posso fare?
"""),
    B("i", ["account bloccato", "Account bloccato sul portale", "sblocco account"], """
dopo tre tentativi sbagliati mi si e bloccato l'account del portale. mi serve urgente per domani, potete sbloccarlo? username {username}
"""),
    B("f", ["Segnalazione link non funzionanti sul sito istituzionale", "Sito web - pagine non trovate"], """
segnalo che sul sito istituzionale del Comune, nella sezione dedicata alla modulistica, diversi collegamenti ai moduli in formato PDF restituiscono l'errore "pagina non trovata". Ho riscontrato il problema almeno per i moduli dell'area servizi alla persona e per quelli dell'ufficio tecnico.

Anche la ricerca interna del sito non restituisce risultati. Segnalo la cosa perché non tutti sono in grado di trovare i moduli in altro modo.
"""),
    B("n", ["Istanza online rimasta in bozza?", "Non ho ricevuto la ricevuta dell'istanza online"], """
ieri sera ho compilato un'istanza online sullo sportello telematico, ho allegato i documenti e ho cliccato su "invia", ma non mi è arrivata nessuna ricevuta via email. Nella mia area personale la pratica risulta ancora "in bozza".

L'ho inviata o no? Non vorrei presentarla due volte. Il numero provvisorio che vedo è {num}.
"""),
    B("n", ["Credenziali per il portale senza SPID", "Riconoscimento de visu per le credenziali"], """
ho 74 anni e non ho lo SPID, mio nipote ha provato a farmelo ma si è bloccato al riconoscimento. Ho letto che presso l'URP si possono avere delle credenziali per il portale dei servizi facendo il riconoscimento di persona.

In quali giorni e orari posso venire? Devo portare qualcosa oltre alla carta d'identità?
"""),
    B("i", ["notifiche solo sull'app IO", "preferenze messaggi app IO"], """
da quando ho attivato l'app IO i messaggi e gli avvisi del comune mi arrivano solo sull'app e non piu per email. Io l'app la apro poco e rischio di perdermi le scadenze. Si puo tornare a ricevere tutto per email? dove si cambiano le preferenze dei messaggi?
"""),
    B("n", ["File firmato digitalmente rifiutato", "Errore formato p7m sullo sportello telematico"], """
devo presentare una domanda tramite lo sportello telematico e il sistema richiede il modulo firmato digitalmente. Ho firmato il PDF con il kit di firma digitale che uso per lavoro, ma il caricamento del file .p7m viene rifiutato con il messaggio "formato non valido".

Va bene anche la firma PAdES (PDF firmato) oppure la firma con CIE tramite app? Qual è la dimensione massima del file?
"""),
]

BODIES["edilizia"] = [
    B("f", ["CILA prot. n. {prot} - richiesta stato istruttoria", "Richiesta informazioni su pratica edilizia CILA"], """
il sottoscritto {titolo} {nome_completo}, in qualità di tecnico incaricato dalla proprietà, con riferimento alla pratica edilizia CILA presentata allo Sportello Unico per l'Edilizia in data {data_rel_prec} e registrata al protocollo n. {prot}, relativa a lavori di manutenzione straordinaria dell'unità immobiliare in {via} {civico}, chiede di conoscere lo stato dell'istruttoria e di sapere se siano necessarie integrazioni documentali.

Si precisa che la committenza ha necessità di avviare i lavori entro il mese corrente.
""", who="pro-edilizia"),
    B("i", ["certificato di agibilità casa vecchia", "Agibilità per il rogito", "abitabilità immobile anni '60"], """
stiamo comprando casa in {via} e il notaio ci ha chiesto il certificato di agibilità. L'immobile è del 1968 e il venditore dice che all'epoca non si faceva. È vero? Come possiamo recuperare qualcosa negli archivi dell'edilizia privata, tipo la licenza originale o l'abitabilità?
Il rogito sarebbe fra un mese...
"""),
    B("i", ["veranda sul balcone", "serve permesso per veranda?"], """
vorrei chiudere il balcone con una veranda in alluminio e vetro, circa 6 mq. serve un permesso di costruire o basta una cila? il condominio deve dare il consenso? e per il vincolo paesaggistico come funziona, abito vicino al fiume
grazie
""", raw=True),
    B("f", ["Richiesta certificato di destinazione urbanistica", "Richiesta CDU per successione"], """
chiedo il rilascio del certificato di destinazione urbanistica relativo ai terreni siti in località {frazione}, identificati al catasto terreni al foglio 12, mappali 45, 46 e 103, necessario per la presentazione della dichiarazione di successione.

Chiedo inoltre di conoscere l'importo dei diritti di segreteria, le modalità di pagamento e i tempi di rilascio.
"""),
    B("n", ["Difformità urbanistica emersa durante la vendita", "Sanatoria sottotetto - informazioni"], """
durante le verifiche per la vendita del mio appartamento il tecnico ha riscontrato una difformità rispetto al progetto approvato: il sottotetto, accatastato come soffitta, è stato trasformato anni fa in camera con bagno dal precedente proprietario.

Vorrei capire se è possibile regolarizzare con un accertamento di conformità (sanatoria) e a quanto ammonta indicativamente l'oblazione, oppure se l'unica strada è il ripristino. Posso fissare un appuntamento con un tecnico dell'ufficio edilizia privata?
"""),
    B("i", ["terreno edificabile?", "Piano operativo e terreno a {frazione}"], """
ho un terreno a {frazione} vicino alla provinciale che fino a qualche anno fa era agricolo. Ho sentito dire che con il nuovo piano operativo alcune zone diventano edificabili. Come faccio a sapere se il mio terreno rientra? C'è una mappa consultabile online o devo chiedere un certificato?
"""),
    B("n", ["Pannelli fotovoltaici in zona con vincolo paesaggistico", "Autorizzazione paesaggistica fotovoltaico"], """
vorremmo installare pannelli fotovoltaici sul tetto della nostra casa nel centro storico, in {via}. L'installatore ci ha detto che per la zona con vincolo paesaggistico serve l'autorizzazione paesaggistica semplificata e che i tempi possono essere lunghi.

È davvero così anche se i pannelli sono integrati nella copertura e non visibili dalla strada? Quali elaborati vanno presentati al SUE?
"""),
    B("f", ["Rateizzazione oneri di urbanizzazione", "Permesso di costruire n. {num} - pagamento oneri"], """
in riferimento al permesso di costruire n. {num} per la realizzazione di un edificio residenziale bifamiliare in {via}, chiedo di conoscere le modalità di rateizzazione degli oneri di urbanizzazione e del contributo sul costo di costruzione, quantificati in {importo_alto} euro.

Chiedo in particolare quale tipo di garanzia fideiussoria sia richiesta e se sia possibile versare la prima rata contestualmente al ritiro del titolo.
""", who="pro-edilizia"),
]

BODIES["attivita-produttive"] = [
    B("i", ["rinnovo dehors estate", "Dehors bar in piazza", "occupazione suolo pubblico per tavolini"], """
gestisco un bar in piazza della Libertà e vorrei rinnovare il dehors per la stagione estiva, stessi tavolini e ombrelloni dell'anno scorso. Devo rifare tutta la domanda di occupazione di suolo pubblico o basta una comunicazione al SUAP? Quanto tempo ci vuole? Vorrei partire per Pasqua.
""", who="org", org="Bar {cognome} snc"),
    B("n", ["Apertura centro estetico", "Informazioni per apertura attività di estetista"], """
vorrei aprire un centro estetico in un locale commerciale di {via}, attualmente vuoto (prima c'era un negozio di abbigliamento). Ho la qualifica professionale di estetista.

Devo presentare la SCIA al SUAP prima dei lavori di adeguamento o dopo? Quali sono i requisiti igienico-sanitari dei locali, ad esempio per il bagno e l'altezza minima?
"""),
    B("i", ["spostamento mercato del giovedì", "posteggio mercato - lavori in piazza"], """
Sono un ambulante con posteggio fisso al mercato del giovedì (banco frutta e verdura, posteggio n. 14). Ho sentito che per i lavori in piazza il mercato verrà spostato. Dove andranno i banchi e per quanto tempo? Il mio posteggio rimane uguale o si rifà la graduatoria? Nessuno ci ha detto niente ufficialmente.
"""),
    B("f", ["Subingresso in esercizio di vicinato alimentare", "Richiesta informazioni subingresso attività commerciale"], """
la sottoscritta sta per acquistare il ramo d'azienda relativo a un esercizio di vicinato del settore alimentare in {via} {civico}. Chiedo quale documentazione debba essere presentata al SUAP per il subingresso, entro quali termini dalla firma dell'atto e se sia necessaria una nuova notifica sanitaria, considerato che intendo vendere anche prodotti di gastronomia.
"""),
    B("i", ["CIN appartamento affitti brevi", "locazione turistica - comunicazioni al comune"], """
affitto per brevi periodi un bilocale in {via} su alcune piattaforme online. Ho gia richiesto il CIN ma non mi e chiaro se devo fare anche una comunicazione al comune come locazione turistica, o se serve solo per chi ha un affittacamere.
"""),
    B("n", ["Saldi estivi e aperture domenicali", "Date saldi e orari negozi"], """
ho un negozio di calzature in centro. Vorrei sapere le date di inizio dei saldi estivi di quest'anno e se le vendite promozionali nei trenta giorni precedenti sono vietate anche per i prodotti della nuova collezione.

Inoltre, per le aperture domenicali di luglio e agosto serve una comunicazione al Comune o gli orari dei negozi sono liberi?
""", who="org", org="Calzature {cognome}"),
    B("i", ["mercatino di Natale hobbisti", "domanda posteggio mercatino"], """
sono un'hobbista, faccio oggetti in legno e decorazioni. vorrei partecipare al mercatino di Natale in piazza. Come si fa domanda per il posteggio? Serve partita iva? L'anno scorso ho provato ma ho saputo del bando troppo tardi.
"""),
    B("f", ["Bando licenze NCC", "Autorizzazioni noleggio con conducente - informazioni"], """
sono titolare di un'impresa individuale di trasporto persone con sede in un comune limitrofo e vorrei sapere se il Comune di Borgo Esempio intende bandire nuove autorizzazioni per il servizio di noleggio con conducente (NCC) con autovettura.

Chiedo inoltre quali siano i requisiti per la rimessa nel territorio comunale e se sia previsto un posteggio riservato nei pressi della stazione.
""", who="org", org="NCC {cognome} - Noleggio con conducente"),
]

BODIES["mobilita"] = [
    B("n", ["Aggiornamento targa permesso ZTL", "Permesso ZTL residenti - cambio auto"], """
sono residente nel centro storico e ho il permesso ZTL per residenti. La settimana scorsa ho cambiato auto e la nuova targa è {targa}. Come faccio ad aggiornare il permesso? Nel frattempo, se passo dal varco con la nuova auto prendo la multa?
"""),
    B("n", ["Contrassegno disabili per mia madre", "Richiesta contrassegno CUDE", "pass disabili"], """
a mia madre è stata da poco riconosciuta l'invalidità con difficoltà di deambulazione. Vorrei richiedere il contrassegno disabili (CUDE) da usare sulla mia auto quando la accompagno alle visite.

Basta il verbale della commissione o serve il certificato del medico legale? La domanda può presentarla un familiare? E il contrassegno vale anche nelle altre città, ad esempio per entrare nelle ZTL?
"""),
    B("f", ["Richiesta stallo di sosta personalizzato per disabili", "Stallo disabili davanti all'abitazione"], """
il sottoscritto, titolare di contrassegno disabili n. {num}, chiede l'istituzione di uno stallo di sosta personalizzato in {via}, in prossimità del civico {civico}, dove risiede.

La strada non dispone di parcheggi privati e la sosta è spesso occupata fino a tarda sera, costringendomi a percorrere lunghi tratti a piedi con notevole difficoltà. Allego copia del contrassegno e della certificazione sanitaria.
"""),
    B("i", ["fermata autobus soppressa", "linea 3 fermata {via}"], """
da settembre la linea 3 dell'autobus non ferma piu in {via}, la fermata e stata tolta senza avvisare. In questa zona ci sono tanti anziani che usavano il bus per andare al mercato e all'ospedale, adesso devono camminare fino alla stazione. Si puo rimettere la fermata? almeno la mattina
"""),
    B("n", ["Abbonamento sosta lavoratori", "abbonamento strisce blu"], """
lavoro in un negozio del centro e ogni giorno pago il parcheggio sulle strisce blu. Esiste un abbonamento sosta mensile per chi lavora in centro? Quanto costa e dove si richiede?
"""),
    B("i", ["senso unico via delle Officine - traffico", "nuova viabilità da rivedere"], """
da quando avete messo il senso unico in via delle Officine tutte le macchine passano da {via}, che è stretta e senza marciapiedi. Al mattino è un continuo di auto e furgoni, e chi va a piedi rischia ogni giorno.
Chiedo che la viabilità venga rivista, o almeno che si metta un limite di velocità più basso. Possibile che nessuno ci abbia pensato prima?
"""),
    B("n", ["Permesso temporaneo ZTL per ospiti", "Accesso ZTL per carico e scarico bagagli"], """
il prossimo fine settimana avrò ospiti che arrivano in auto da fuori e devono scaricare i bagagli davanti a casa mia, in pieno centro storico dentro la ZTL. Esiste un permesso temporaneo giornaliero? Come si comunica la targa per evitare la sanzione al varco? Non trovo le istruzioni sul sito.
"""),
    B("n", ["Bike sharing - quando parte?", "Informazioni servizio bike sharing"], """
avevo letto sul giornale locale che entro la primavera sarebbe partito il servizio di bike sharing con stazioni alla stazione ferroviaria e in piazza. Le rastrelliere sono state montate da mesi ma non c'è nessuna bicicletta.

Sapete quando verrà attivato e se ci sarà un abbonamento per i pendolari? Sarebbe utile anche un collegamento con la pista ciclabile verso la zona industriale.
"""),
    B("i", ["chiusura strada per {frazione}", "strada chiusa come si arriva?"], """
ho visto i cartelli di chiusura strada sulla provinciale per {frazione} da lunedì. Ma la deviazione da dove passa? Io ogni mattina vado al lavoro in zona industriale, devo sapere quanto tempo in più ci vuole. Per quanto dura la chiusura?
"""),
    B("n", ["Limitazioni veicoli inquinanti - deroghe", "Blocco del traffico diesel euro 4"], """
possiedo un'auto diesel euro 4 che uso per andare al lavoro, con orari su turni. Ho letto che da ottobre entrano in vigore le limitazioni ai veicoli inquinanti nelle giornate di blocco del traffico.

Sono previste deroghe per chi lavora su turni o per chi non ha alternative con il trasporto pubblico? Come si richiede la deroga e dove si trova l'elenco dei giorni di blocco?
"""),
]

BODIES["polizia-municipale"] = [
    B("f", ["Verbale autovelox - richiesta informazioni per ricorso", "Ricorso contro verbale per eccesso di velocità"], """
in data {data_rel} mi è stato notificato il verbale n. {num} per eccesso di velocità rilevato dall'autovelox della strada provinciale, riferito al veicolo targato {targa}. Nel giorno e nell'ora indicati il veicolo si trovava presso un'officina per riparazione, come risulta dalla documentazione che allego.

Chiedo di sapere se posso presentare ricorso al Prefetto tramite il vostro Comando oppure se devo rivolgermi al giudice di pace, e se nel frattempo devo comunicare i dati del conducente.
"""),
    B("i", ["comunicazione dati conducente", "verbale multa - chi guidava"], """
mi e arrivata una multa per la mia macchina ma guidava mio figlio che ha la patente da un anno. devo mandare io la comunicazione dei dati del conducente? il modulo allegato al verbale e da spedire per raccomandata o si puo mandare per mail? perde i punti lui o io?
"""),
    B("n", ["Schiamazzi notturni in {via}", "Disturbo della quiete pubblica - movida", "esposto rumori notturni"], """
vi scrivo a nome di diversi residenti di {via}. Da mesi, ogni venerdì e sabato, davanti ai locali della piazzetta ci sono gruppi di ragazzi che fanno schiamazzi fino alle tre di notte, con musica ad alto volume dalle auto e bottiglie rotte lasciate sui gradini.

Abbiamo chiamato più volte la polizia locale ma di notte il servizio non è attivo. Chiediamo più controlli nel fine settimana e il rispetto degli orari. Siamo pronti a presentare un esposto firmato da tutti.
"""),
    B("i", ["auto abbandonata in {via}", "veicolo abbandonato"], """
in {via}, davanti al civico {civico}, c'è un'auto grigia senza targa ferma da almeno quattro mesi, con le gomme a terra e i vetri rotti. Dentro si vedono cartoni e sacchetti. Potete mandare qualcuno a controllare e farla rimuovere?
"""),
    B("n", ["Copia rapporto incidente stradale", "Richiesta rilievi incidente del {data_rel}"], """
il {data_rel} sono stato coinvolto in un incidente stradale all'incrocio tra {via} e via Montegrappa, con rilievi effettuati dalla polizia municipale. La mia assicurazione mi chiede copia del rapporto per chiudere la pratica del sinistro.

Come posso richiederla, quanto costa e in quanto tempo viene rilasciata? Il numero che mi hanno lasciato gli agenti è {num}.
"""),
    B("i", ["auto sul marciapiede ogni mattina", "sosta selvaggia"], """
tutte le mattine tra le 7.45 e le 8.15 in {via} le auto parcheggiano sul marciapiede e sulle strisce pedonali, e noi con i passeggini dobbiamo camminare in mezzo alla strada. Servirebbe un vigile almeno per qualche settimana, le multe sono l'unica cosa che funziona
"""),
    B("n", ["Oggetti smarriti - chiavi", "Ufficio oggetti smarriti"], """
domenica pomeriggio in centro ho perso un mazzo di chiavi con un portachiavi rosso a forma di pesce e un telecomando del cancello. Qualcuno lo ha consegnato all'ufficio oggetti smarriti del Comando? In che orari posso passare a chiedere?
"""),
    B("n", ["Sollecito per multa già pagata con riduzione", "Pagamento multa ridotto del 30%"], """
ho pagato il verbale n. {num} entro cinque giorni dalla notifica, usufruendo della riduzione del 30%, come indicato sul verbale stesso. Oggi però mi arriva una richiesta di pagamento per la differenza più le spese.

Allego la ricevuta del bonifico e la copia della notifica, da cui risulta che ho pagato nei termini. Chiedo di annullare la richiesta.
"""),
]

BODIES["lavori-pubblici"] = [
    B("i", ["buca pericolosa in {via}", "Segnalazione buca", "BUCA!!!"], """
in {via}, all'altezza del civico {civico}, c'è una buca profonda almeno dieci centimetri proprio dove passano le bici. Ieri sera un ragazzo in motorino ci è finito dentro ed è caduto, per fortuna niente di grave. Con la pioggia non si vede. Potete intervenire prima che si faccia male qualcuno?
"""),
    B("n", ["Lampioni spenti in {via}", "Pubblica illuminazione guasta", "luce spenta da giorni"], """
da circa due settimane tutti i lampioni di {via}, dal civico {civico} fino all'incrocio con la provinciale, sono spenti. La sera la strada è completamente al buio e la percorrono molte persone che rientrano a piedi dalla stazione.

Ho già segnalato il guasto al numero verde indicato sui pali ma non è cambiato nulla. Potete sollecitare l'intervento?
"""),
    B("f", ["Marciapiede dissestato - richiesta di intervento", "Segnalazione marciapiede pericoloso"], """
segnalo lo stato di grave dissesto del marciapiede di {via}, nel tratto compreso tra i civici {civico} e {civico2}, dove le radici hanno sollevato e spaccato la pavimentazione.

Nei giorni scorsi una signora anziana è caduta riportando una frattura al polso. Il tratto è inoltre impraticabile per chi usa la carrozzina, che è costretto a scendere in carreggiata. Chiedo un intervento urgente di messa in sicurezza.
"""),
    B("i", ["allagamento incrocio quando piove", "caditoie intasate"], """
ogni volta che piove forte l'incrocio tra {via} e via dei Mulini si allaga e l'acqua arriva fino ai garage. Le caditoie sono piene di foglie e terra, secondo me non le pulisce nessuno da anni. Prima dell'autunno si potrebbe fare un intervento?
"""),
    B("n", ["semaforo guasto", "Semaforo lampeggiante da giorni"], """
il semaforo all'incrocio di {via} con viale della Repubblica è giallo lampeggiante da tre giorni. Con il traffico dell'ora di punta è molto pericoloso, stamattina ho visto due auto quasi scontrarsi.
"""),
    B("n", ["Strisce pedonali cancellate davanti alla scuola", "Rifacimento segnaletica orizzontale"], """
le strisce pedonali davanti alla scuola media di {via} sono ormai quasi invisibili e gli automobilisti non rallentano. Chiedo il rifacimento della segnaletica orizzontale prima dell'inizio di settembre e, se possibile, un cartello stradale luminoso.
"""),
    B("f", ["Muro di contenimento lesionato strada per {frazione}", "Segnalazione muro pericolante"], """
segnalo che il muro di contenimento in pietra lungo la strada comunale per {frazione}, circa duecento metri dopo il ponte sul torrente, presenta ampie crepe e un evidente rigonfiamento verso la carreggiata. Dopo le piogge della scorsa settimana alcune pietre sono cadute sulla strada.

Ritengo che ci sia pericolo per chi transita, soprattutto per i mezzi pesanti. Chiedo un sopralluogo dell'ufficio tecnico.
"""),
    B("i", ["giochi rotti al parco", "scivolo rotto e panchine"], """
al parchetto di {via} lo scivolo ha una scheggia di metallo che sporge e l'altalena ha una catena rotta, oggi mio figlio si è tagliato un dito. Anche due panchine sono senza assi. I bambini ci giocano tutti i giorni, mettete almeno un nastro finché non riparate
"""),
    B("n", ["Cantiere rotatoria fermo", "Quando finiscono i lavori della rotatoria?"], """
il cantiere per la nuova rotatoria all'ingresso del paese è fermo da mesi, con le recinzioni ancora in mezzo alla strada. Nessun operaio si vede da settimane.

È possibile sapere quando riprenderanno i lavori e qual è la data prevista di fine? Sul cartello di cantiere c'è scritto che dovevano finire lo scorso dicembre.
"""),
]

BODIES["ambiente"] = [
    B("i", ["carta non ritirata", "Mancata raccolta carta {via}", "porta a porta: di nuovo niente"], """
anche questa settimana in {via} non hanno ritirato la carta, i mastelli sono ancora tutti fuori dalle case da martedì. È la terza volta in un mese. Cosa dobbiamo fare, tenerla in casa?
"""),
    B("n", ["Ritiro ingombranti a domicilio", "Prenotazione ritiro ingombranti"], """
devo liberarmi di un divano a tre posti, un materasso matrimoniale e una vecchia lavatrice. Vorrei prenotare il ritiro ingombranti a domicilio: quanti pezzi si possono conferire per volta, serve prenotare per telefono o online, e la lavatrice la ritirate insieme o va portata al centro di raccolta come RAEE?
"""),
    B("n", ["Abbandono rifiuti vicino ai cassonetti", "Discarica abusiva in {via}", "rifiuti abbandonati"], """
segnalo che accanto ai cassonetti del vetro in fondo a {via}, vicino al parcheggio, da giorni sono stati abbandonati sacchi neri, cartoni, un materasso e pezzi di mobili. Ormai è diventata una piccola discarica abusiva e con il caldo si sente cattivo odore.

Succede continuamente, sempre nello stesso punto.
"""),
    B("i", ["zanzare tigre", "disinfestazione zanzare quando?", "ZANZARE"], """
Buongiorno, quest'anno le zanzare sono insopportabili, nel giardino non si riesce a stare neanche di giorno. quando fate la disinfestazione nei parchi e nei fossi? avevo letto che il comune distribuisce gratis le pastiglie di larvicida per i tombini, e vero? dove si ritirano?
""", raw=True),
    B("n", ["Albero pericolante dopo il temporale", "URGENTE albero inclinato su {via}"], """
dopo il temporale di stanotte il grosso pino del giardino pubblico di {via} si è inclinato verso la strada e le radici hanno sollevato il terreno. Temo che possa cadere sulle auto in sosta o su chi passa. Potete mandare qualcuno a verificare al più presto?
"""),
    B("i", ["erba alta ai giardini", "Taglio erba giardini {via}"], """
Nei giardini pubblici di {via} l'erba è alta quasi un metro, i bambini non possono giocare e i cani tornano pieni di zecche. L'ultimo taglio dell'erba l'avete fatto ad aprile. Quando è previsto il prossimo? Anche l'area cani è in abbandono.
"""),
    B("n", ["Registrazione colonia felina", "Gatti randagi - colonia felina"], """
da circa un anno mi occupo di alcuni gatti randagi che vivono nel cortile dietro la chiesa di {frazione}, ora sono otto. Vorrei registrare la colonia felina e sapere se il Comune, insieme al servizio veterinario, può aiutare con la sterilizzazione delle femmine. Alcuni vicini si lamentano e vorrei essere in regola.
"""),
    B("i", ["calendario raccolta e mastello rotto", "mastello organico rotto"], """
non ho ricevuto il calendario della raccolta differenziata per quest'anno e il mastello dell'organico si è rotto (si è spaccato il manico). Dove posso ritirare quello nuovo? e il calendario lo trovo online?
"""),
    B("f", ["Segnalazione copertura in amianto deteriorata", "Tettoia in eternit - richiesta verifica"], """
segnalo che nella proprietà confinante con la mia abitazione, in {via} {civico}, è presente una tettoia in cemento-amianto (eternit) in evidente stato di degrado, con lastre rotte e frammenti caduti nel giardino.

Chiedo che l'Ufficio Ambiente effettui una verifica e disponga gli interventi necessari, considerato che nella mia abitazione vivono due bambini piccoli.
"""),
    B("i", ["topi nel giardino condominiale", "derattizzazione fosso"], """
nel giardino del nostro condominio in {via} da qualche settimana vediamo dei topi, anche di giorno. Vengono dal fosso che costeggia la strada, che è pieno di sporcizia e canne. Il fosso è comunale? Chi deve fare la derattizzazione, noi o voi?
"""),
    B("n", ["Orari centro di raccolta", "Ecocentro - orari e frigorifero"], """
vorrei sapere gli orari del centro di raccolta di via dell'Industria nel mese di agosto e se si può portare un vecchio frigorifero con la propria auto, oppure se va fatto il ritiro dei RAEE a domicilio. Serve una tessera per entrare?
"""),
]

BODIES["sociale"] = [
    B("n", ["Bando contributo affitto {anno}", "Contributo affitto - quando esce il bando?"], """
vivo in affitto con i miei due figli e lo scorso anno ho ricevuto il contributo affitto. Vorrei sapere quando uscirà il nuovo bando e se il limite ISEE è rimasto lo stesso. Quest'anno il mio ISEE è leggermente più alto perché ho lavorato qualche mese in più: posso comunque fare domanda?
"""),
    B("n", ["Assistenza domiciliare per mia madre", "Richiesta servizi per anziana sola"], """
mia madre ha 87 anni e vive da sola in {via}. Negli ultimi mesi fa sempre più fatica a cucinare e a fare le pulizie, e io lavoro a Milano e torno solo nel fine settimana.

Vorrei sapere se il Comune offre servizi di assistenza domiciliare o pasti a domicilio per gli anziani, quanto costano e come si fa domanda. Serve l'ISEE? È possibile parlare con un'assistente sociale?
"""),
    B("i", ["graduatoria case popolari", "posizione graduatoria ERP"], """
ho fatto domanda per la casa popolare nel bando di due anni fa e sono in graduatoria, ma nessuno mi dice niente. Vorrei sapere in che posizione sono adesso e se ci sono alloggi popolari che si liberano. Vivo con mia moglie e tre figli in un appartamento di 50 metri.
"""),
    B("n", ["Sfratto - richiesta aiuto urgente", "emergenza abitativa"], """
ho ricevuto l'avviso di sfratto per morosità, l'esecuzione è fissata per il mese prossimo. Ho perso il lavoro a gennaio e non sono più riuscita a pagare l'affitto. Ho due figli di 6 e 9 anni e non ho parenti in zona.

Chiedo di essere ricevuta dai servizi sociali il prima possibile. Ho sentito parlare di un fondo per la morosità incolpevole: posso accedervi?
"""),
    B("i", ["appuntamento assistente sociale", "aiuto per bollette"], """
Buongiorno, vorrei un appuntamento con l'assistente sociale perche sono in difficolta con le bollette e la spesa, sono sola con una pensione minima. Ho sentito che ci sono i buoni spesa, come si fa la domanda? grazie
""", raw=True),
    B("n", ["Trasporto sociale per figlio disabile", "Richiesta trasporto al centro diurno"], """
mio figlio ha 24 anni, una disabilità grave certificata e frequenta tre giorni alla settimana un centro diurno a {citta_osp}. Fino a giugno lo accompagnava mio marito, che adesso ha cambiato turno di lavoro.

Vorrei sapere se il Comune ha un servizio di trasporto sociale per persone con disabilità e quali sono i requisiti e i costi.
"""),
    B("n", ["Assegno di maternità comunale", "Domanda assegno di maternità"], """
sono mamma da due mesi e non lavoro, quindi non ho diritto all'indennità di maternità. Ho letto che esiste un assegno di maternità che si richiede al Comune. Quali sono i requisiti, entro quanto tempo dalla nascita va fatta la domanda e serve un ISEE aggiornato?
"""),
    B("n", ["Richiesta colloquio riservato", "situazione familiare difficile"], """
vorrei parlare con qualcuno dei servizi sociali per una situazione familiare delicata che riguarda mia sorella e i suoi bambini. Preferisco non scrivere i dettagli per email. È possibile avere un colloquio riservato con il segretariato sociale? In che giorni?
"""),
]

BODIES["scuola"] = [
    B("n", ["Iscrizione asilo nido", "Domanda asilo nido e graduatoria"], """
nostro figlio è nato a novembre e vorremmo iscriverlo all'asilo nido comunale per il prossimo anno educativo. Quando si aprono le iscrizioni e come si presenta la domanda? Vorrei anche sapere come viene formata la graduatoria nido: conta il fatto che lavoriamo entrambi a tempo pieno e fuori comune?
"""),
    B("n", ["Dieta speciale mensa per celiachia", "Mensa scolastica - dieta per bambina celiaca"], """
nostra figlia {figlia} inizierà a settembre la prima classe della scuola primaria e frequenterà la mensa scolastica. Le è stata diagnosticata la celiachia: cosa dobbiamo presentare per la dieta speciale? Basta il certificato del pediatra o serve quello dello specialista? Entro quando va consegnato?
"""),
    B("i", ["scuolabus fermata", "trasporto scolastico {frazione}"], """
abito a {frazione} e mio figlio a settembre va in prima media. il trasporto scolastico passa anche da noi? Dove è la fermata dello scuolabus e a che ora passa? L'anno scorso la mia vicina diceva che il pulmino era sempre pieno
"""),
    B("n", ["Centri estivi comunali", "Iscrizione centri estivi"], """
quest'anno il Comune organizza i centri estivi per i bambini della scuola dell'infanzia e della primaria? Vorrei sapere le date, i costi settimanali e quando aprono le iscrizioni. L'anno scorso i posti erano finiti in due giorni.
"""),
    B("i", ["cedole librarie", "libri di testo scuola primaria"], """
mio figlio frequenta la quarta elementare in una scuola fuori comune, a {citta_orig}. Le cedole librarie per i libri di testo le dovete dare voi essendo residenti a Borgo Esempio? Il libraio dice che senza cedola non puo consegnarci i libri
"""),
    B("n", ["Orari pre-scuola e post-scuola", "Servizio post-scuola"], """
lavoro fino alle 17.30 e vorrei iscrivere mia figlia al servizio di post-scuola della primaria {scuola}. Fino a che ora è aperto? Si può fare solo in alcuni giorni della settimana? Il costo si paga insieme alla retta della mensa?
"""),
    B("i", ["menù mensa porzioni", "mensa: i bambini hanno fame"], """
volevo segnalare che da quando è cambiata la ditta della mensa i bambini tornano a casa affamati, le porzioni sono piccolissime e spesso il menù viene cambiato senza avviso. Come si fa a entrare nella commissione mensa? Più genitori si lamentano.
"""),
    B("n", ["Borsa di studio studenti scuole superiori", "Diritto allo studio - borse di studio"], """
mia figlia frequenta il terzo anno del liceo scientifico. Ho saputo che ci sono borse di studio per gli studenti delle scuole superiori in base all'ISEE. Il bando lo pubblica il Comune o la Regione? Entro quando va presentata la domanda e quali spese si possono rendicontare?
"""),
]

BODIES["cultura-sport"] = [
    B("n", ["Orari biblioteca estivi", "Biblioteca comunale - orari e tessera"], """
vorrei sapere gli orari della biblioteca comunale nei mesi di luglio e agosto e se la sala studio resta aperta anche il sabato pomeriggio. Inoltre, mia madre (non residente) può fare la tessera per il prestito libri?
"""),
    B("f", ["Richiesta di patrocinio - concerto di beneficenza", "Domanda di patrocinio comunale"], """
l'associazione musicale "Armonie del Borgo" intende organizzare un concerto di beneficenza nella chiesa di San Michele il {data_fut}, con raccolta fondi a favore della Croce Verde.

Con la presente chiediamo la concessione del patrocinio gratuito del Comune e l'autorizzazione all'uso del logo sul materiale promozionale. Allego il programma della serata e lo statuto dell'associazione.
""", who="org", org="Associazione musicale Armonie del Borgo"),
    B("n", ["Concessione palestra scolastica orari serali", "Richiesta impianti sportivi per la stagione"], """
sono il presidente di una piccola associazione sportiva di pallavolo amatoriale. Per la prossima stagione vorremmo utilizzare la palestra della scuola media due sere a settimana, dalle 20.30 alle 22.30. Come si presenta la domanda di concessione degli impianti sportivi e quali sono le tariffe orarie?
""", who="org", org="ASD Pallavolo Borgo Esempio"),
    B("i", ["festa di quartiere", "organizzare festa in strada"], """
con alcuni vicini vorremmo organizzare una festa di quartiere a fine giugno in {via}: musica, qualche tavolo, una grigliata e giochi per i bambini. Cosa serve per fare una manifestazione del genere? dobbiamo chiudere la strada? è meglio fare un'associazione?
"""),
    B("n", ["Informazioni turistiche - visita a Borgo Esempio", "Visite guidate al castello"], """
a maggio verrò in visita a Borgo Esempio con un gruppo di 25 persone di un circolo culturale. Vorremmo sapere se è possibile prenotare una visita guidata del castello e del museo civico, gli orari di apertura e il costo dei biglietti. C'è un ufficio turistico dove ritirare materiale informativo?
"""),
    B("i", ["piscina comunale", "riapertura piscina e abbonamenti"], """
quando riapre la piscina comunale dopo i lavori? mio figlio faceva il corso di nuoto e ci avevano detto settembre, ma siamo a ottobre e non si sa niente. Gli abbonamenti gia pagati vengono rimborsati o si recuperano?
"""),
    B("n", ["Volontariato", "vorrei fare volontariato"], """
sono in pensione da poco e vorrei rendermi utile facendo volontariato nel mio paese, ad esempio in biblioteca, al museo o nelle manifestazioni estive. Esiste un elenco delle associazioni di volontariato di Borgo Esempio a cui rivolgermi?
"""),
    B("n", ["Stagione teatrale - abbonamenti", "Biglietti teatro e riduzioni"], """
vorrei sapere quando inizia la vendita degli abbonamenti per la stagione del teatro comunale e se sono previste riduzioni per gli over 65 e per gli studenti. È possibile acquistare i biglietti online o solo al botteghino?
"""),
]

BODIES["lavoro"] = [
    B("n", ["Bando di concorso istruttore amministrativo", "Requisiti concorso istruttore"], """
ho visto il bando di concorso per istruttore amministrativo pubblicato sul sito. Ho una laurea triennale in scienze politiche ma il bando parla di diploma di scuola superiore: la laurea è comunque valida come titolo? La domanda va presentata solo tramite il portale InPA o anche per PEC?
"""),
    B("i", ["esito prova scritta concorso", "graduatoria concorso quando?"], """
ho fatto la prova scritta del concorso per agente di polizia locale il mese scorso. Quando escono i risultati e la graduatoria? sul sito non trovo niente e al telefono non risponde nessuno all'ufficio personale
"""),
    B("n", ["Candidatura spontanea", "Invio curriculum vitae"], """
mi permetto di inviare il mio curriculum vitae per eventuali future selezioni o collaborazioni con il Comune. Ho esperienza decennale come impiegata contabile in aziende private e conosco bene i principali programmi gestionali. Sono disponibile anche per contratti a tempo determinato.
""", attach="cv"),
    B("n", ["Richiesta tirocinio curricolare", "Tirocinio universitario presso il Comune"], """
sono uno studente del corso di laurea in Ingegneria civile e devo svolgere un tirocinio curricolare di 150 ore. Mi piacerebbe farlo presso l'ufficio tecnico del Comune di Borgo Esempio. L'università ha già una convenzione con il Comune o va stipulata? A chi devo inviare la richiesta?
"""),
    B("i", ["servizio civile", "progetti servizio civile comune"], """
ciao, ho 22 anni e vorrei fare il servizio civile. Il comune ha dei progetti attivi quest'anno? Quando esce il bando e quanto si prende al mese?
""", raw=True),
    B("f", ["Mobilità esterna - manifestazione di interesse", "Richiesta informazioni su mobilità tra enti"], """
sono dipendente a tempo indeterminato di un'altra amministrazione comunale, con il profilo di istruttore tecnico, e per motivi familiari vorrei avvicinarmi a Borgo Esempio. Chiedo se sono previsti avvisi di mobilità esterna per il mio profilo nel piano dei fabbisogni di personale e se è possibile inviare una manifestazione di interesse.
"""),
    B("f", ["Iscrizione elenco professionisti per incarichi", "Elenco professionisti - aggiornamento"], """
il sottoscritto, ingegnere iscritto all'ordine provinciale, chiede informazioni sulle modalità di iscrizione all'elenco dei professionisti per il conferimento di incarichi professionali di progettazione e collaudo di importo inferiore alla soglia. L'elenco è aperto in modo continuativo o viene aggiornato a scadenze fisse?
""", who="pro-ing"),
    B("n", ["Lavoro estivo per studenti", "offerte di lavoro per giovani"], """
mio figlio ha 17 anni e vorrebbe trovare un lavoro estivo. Il Comune ha progetti di borsa lavoro o di stage per studenti durante l'estate? Esiste ancora lo sportello Informagiovani con le offerte di lavoro della zona?
"""),
]

BODIES["cimiteri"] = [
    B("i", ["lampada votiva spenta", "luce votiva non funziona"], """
pago ogni anno il canone della luce votiva per la tomba dei miei genitori al cimitero di {frazione}, ma da settembre la lampada è spenta. L'ho segnalato al custode ma non è cambiato niente. Potete mandare qualcuno? Tra poco è il 2 novembre
"""),
    B("f", ["Rinnovo concessione loculo", "Scadenza concessione cimiteriale"], """
ho ricevuto comunicazione che la concessione del loculo in cui riposa mia nonna, nel cimitero del capoluogo, settore B fila 3, scadrà alla fine dell'anno. Chiedo di conoscere le modalità e i costi per il rinnovo della concessione e per quanti anni può essere rinnovata.
"""),
    B("n", ["Avviso estumulazioni - informazioni", "Estumulazione e ossario"], """
ho letto l'avviso affisso al cimitero sulle estumulazioni programmate nel prossimo anno, che comprende anche il loculo di mio nonno. Cosa devo fare? Vorrei mettere i resti in un ossario o in una cassetta nella tomba di famiglia. Chi avvisa la famiglia della data?
"""),
    B("i", ["orari cimitero per i Santi", "orari apertura cimitero"], """
quali sono gli orari del cimitero nei giorni dei Santi e dei Morti? mia madre non cammina bene, si puo entrare con la macchina?
"""),
    B("n", ["Dispersione delle ceneri", "Autorizzazione dispersione ceneri"], """
mio padre è venuto a mancare la settimana scorsa e aveva espresso per iscritto la volontà di essere cremato e che le sue ceneri fossero disperse in mare. Vorrei sapere come si richiede l'autorizzazione alla dispersione delle ceneri e se in alternativa possiamo tenere l'urna a casa con l'affidamento.
"""),
    B("n", ["Lavori su tomba di famiglia", "Autorizzazione posa lapide"], """
vorremmo rifare la lapide e sistemare la cappella di famiglia al cimitero di {frazione}, che ha il tetto con infiltrazioni. Il marmista che abbiamo contattato chiede se serve un'autorizzazione del Comune prima di iniziare i lavori e se ci sono orari in cui si può lavorare dentro il cimitero.
"""),
    B("i", ["cimitero sporco", "fontanella rotta al cimitero"], """
sono stata al cimitero di {frazione} domenica, i vialetti sono pieni di foglie, i cestini traboccano e la fontanella vicino all'ingresso è rotta, per prendere l'acqua per i fiori bisogna andare dall'altra parte. Per rispetto dei defunti dovrebbe essere tenuto meglio
"""),
    B("n", ["Sepoltura a Borgo Esempio - trasporto salma", "Disponibilità loculo per sepoltura"], """
mio zio è deceduto ieri all'ospedale di {citta_osp}. Era nato a Borgo Esempio e desiderava essere sepolto qui accanto alla moglie. Le onoranze funebri ci chiedono se nel cimitero c'è un loculo disponibile vicino a lei e chi deve chiedere il permesso per il trasporto della salma. Possiamo sapere i costi?
"""),
]

BODIES["rapporti-ente"] = [
    B("f", ["Istanza di accesso agli atti ai sensi della L. 241/1990", "Richiesta di accesso documentale"], """
il sottoscritto {nome_completo}, in qualità di proprietario dell'immobile confinante, chiede ai sensi degli articoli 22 e seguenti della legge 241/1990 di prendere visione ed estrarre copia della determina n. {num} e degli atti istruttori relativi all'autorizzazione rilasciata per l'installazione della cabina elettrica in {via}.

L'interesse concreto e attuale deriva dalla vicinanza della cabina alla mia abitazione. Chiedo che le copie siano trasmesse in formato digitale a questo indirizzo.
"""),
    B("f", ["Richiesta di accesso civico generalizzato (FOIA)", "Accesso civico generalizzato - spese per eventi"], """
ai sensi dell'art. 5, comma 2, del d.lgs. 33/2013 chiedo di ricevere copia dei contratti e degli affidamenti diretti per l'organizzazione degli eventi estivi del {anno_prec}, con indicazione dei fornitori e degli importi liquidati.

Nel caso in cui tali dati siano già pubblicati nella sezione Amministrazione trasparente, vi chiedo cortesemente di indicarmi il collegamento preciso, poiché non sono riuscito a trovarli.
"""),
    B("n", ["Richiesta incontro con il Sindaco", "Appuntamento con il sindaco"], """
a nome di un gruppo di residenti della frazione di {frazione} vorrei chiedere un incontro con il Sindaco, o con l'assessore competente, per presentare alcune questioni che riguardano la nostra zona e che da tempo restano senza risposta. Siamo disponibili anche in orario serale. Come si prende appuntamento?
"""),
    B("n", ["Reclamo per il trattamento ricevuto allo sportello", "reclamo"], """
vorrei segnalare il comportamento di un dipendente allo sportello del piano terra, stamattina verso le 11. Dopo quaranta minuti di attesa mi è stato detto in modo sgarbato che mancava un documento, senza spiegarmi quale, e sono stato invitato a tornare un altro giorno.

Capisco che il lavoro sia tanto, ma un po' di cortesia non costa nulla. Chiedo che questo reclamo venga preso in considerazione e suggerisco di organizzare meglio le code.
"""),
    B("i", ["nessuno risponde al telefono", "orari uffici e contatti"], """
Sono tre giorni che provo a chiamare il centralino e i numeri degli uffici che trovo sul sito, squilla a vuoto o e sempre occupato. Potete darmi un indirizzo email diretto dell'ufficio o gli orari in cui c'è qualcuno? Non e possibile che per ogni cosa si debba venire di persona
"""),
    B("n", ["Atto depositato presso la casa comunale", "Ritiro atto depositato"], """
ho trovato nella cassetta delle lettere un avviso di deposito presso la casa comunale di un atto a mio nome, perché al momento della notifica non ero in casa. Quali sono gli orari per il ritiro? Può ritirarlo mia moglie con una delega? L'avviso riporta il numero {num}.
"""),
    B("n", ["Registrazioni del consiglio comunale", "Delibere non pubblicate sull'albo pretorio"], """
volevo sapere se le sedute del consiglio comunale vengono trasmesse in diretta streaming e dove si trovano le registrazioni. Inoltre non riesco a trovare sull'albo pretorio online le delibere di giunta approvate il mese scorso: sono già state pubblicate?
"""),
    B("f", ["Sollecito pagamento fatture scadute", "Fattura n. {num} - pagamento"], """
la scrivente ditta, fornitore del Comune per la manutenzione degli estintori negli edifici comunali, segnala che le fatture elettroniche n. {num} e {num2} risultano ad oggi non ancora pagate, sebbene scadute da oltre sessanta giorni.

Chiediamo di conoscere lo stato della liquidazione e di verificare che il codice univoco dell'ufficio indicato sia corretto. Restiamo a disposizione per eventuali chiarimenti.
""", who="org", org="Antincendio {cognome} s.r.l."),
]

BODIES["altri-enti"] = [
    B("n", ["Pratica pensione INPS", "pensione - non riesco a parlare con l'INPS"], """
ho presentato domanda di pensione di vecchiaia tramite il patronato a febbraio e da allora non so più niente. Il numero dell'INPS è sempre occupato e la sede più vicina riceve solo su appuntamento. Il Comune può aiutarmi a sapere a che punto è la pratica o a chi devo rivolgermi?
"""),
    B("i", ["cambio medico di base", "medico di base in pensione"], """
il nostro medico di base va in pensione e dobbiamo sceglierne un altro, ma quelli di Borgo Esempio dicono che sono pieni. Come si fa la scelta del medico? bisogna andare all'ASL o si fa online con la tessera sanitaria?
"""),
    B("n", ["Appuntamento per il passaporto", "Passaporto - tempi lunghissimi"], """
devo rinnovare il passaporto per un viaggio di lavoro e sull'agenda della Questura non ci sono appuntamenti disponibili prima di quattro mesi. Il Comune può fare qualcosa per accelerare? Ho sentito che in alcuni comuni si può fare la domanda all'ufficio postale.
"""),
    B("i", ["bolletta acqua altissima", "BOLLETTA ACQUA"], """
mi è arrivata una bolletta dell'acqua di 780 euro per tre mesi, di solito pago 90 euro. Il gestore dice che c'è una perdita dopo il contatore e che è a mio carico. Ma il contatore è in strada! Il Comune può fare qualcosa? Chi controlla il gestore dell'acqua?
"""),
    B("n", ["Bollo auto pagato due volte", "Rimborso bollo auto"], """
per errore ho pagato due volte il bollo auto della mia vettura, una volta online e una in tabaccheria. A chi devo chiedere il rimborso, alla Regione o all'ACI? Sul sito della Regione non trovo il modulo.
"""),
    B("n", ["Rinnovo permesso di soggiorno", "permesso di soggiorno in scadenza"], """
sono cittadino tunisino e lavoro a Borgo Esempio da cinque anni. Il mio permesso di soggiorno scade tra un mese. Per il rinnovo devo andare in Questura o all'ufficio postale con il kit? Qualcuno mi può dare una mano a compilare i moduli? Ho anche bisogno di sapere se posso viaggiare durante il rinnovo.
"""),
    B("i", ["fibra ottica {frazione}", "quando arriva la fibra?"], """
a {frazione} la connessione internet è lentissima, io e mia moglie lavoriamo da casa e non riusciamo a fare le videochiamate. Sapete quando arriva la fibra ottica? Gli operatori telefonici dicono che dipende dal piano nazionale, ma nessuno sa niente
"""),
    B("n", ["Codice fiscale errato sulla tessera sanitaria", "Errore nel codice fiscale"], """
sulla tessera sanitaria di mio figlio il codice fiscale riporta un errore nella data di nascita (il giorno è sbagliato). Devo chiedere la correzione all'Agenzia delle Entrate? Il bambino è nato all'estero e l'atto è stato trascritto l'anno scorso.
"""),
]

BODIES["altro"] = [
    B("n", ["Ringraziamento", "grazie!"], """
volevo solo ringraziare la signora che venerdì mattina mi ha aiutato con grande pazienza. Non ricordo il nome, ma è stata gentilissima e mi ha risolto un problema che mi portavo dietro da settimane. Fa piacere trovare persone così.
"""),
    B("n", ["Questionario per tesina", "Richiesta di collaborazione per una ricerca"], """
sono una studentessa dell'ultimo anno e sto preparando una tesina sulla partecipazione dei cittadini alla vita del proprio paese. Sarebbe possibile rispondere a qualche domanda, anche brevemente? Ad esempio: quali sono secondo voi le iniziative che hanno coinvolto di più gli abitanti negli ultimi anni? Vi ringrazio moltissimo anche se non avete tempo.
"""),
    B("i", ["documento", "Invio documento", "scansione"], """
vedi allegato
""", raw=True, attach="scan"),
    B("i", ["foto sabato", "le foto di sabato sera"], """
Ciao Marco, ti giro finalmente le foto della cena di sabato, scusa il ritardo! Quella con la torta è venuta benissimo. Salutami la Giulia e ci sentiamo per la gita di domenica.
Baci
{nome}
""", raw=True, attach="photo"),
    B("i", ["prova", "test", "Prova invio"], """
prova
""", raw=True),
    B("n", ["Cerco un vecchio amico", "Ricerca persona"], """
sto cercando di rintracciare un vecchio amico, Giorgio, con cui ho fatto il militare negli anni '80. So che era originario di Borgo Esempio ma ho perso ogni contatto. Potete darmi qualche indicazione? Capisco che non possiate darmi il suo indirizzo, ma magari potete fargli arrivare il mio numero.
"""),
    B("i", ["per quella cosa", "telefonata di giovedì"], """
salve, volevo sapere per quella cosa di cui avevamo parlato al telefono giovedì, poi com'è finita? mi avevano detto che mi richiamavano ma non ho più sentito nessuno.
""", raw=True),
    B("n", ["Origine del nome Borgo Esempio", "curiosità sul nome del paese"], """
una curiosità: da dove deriva il nome Borgo Esempio? Mio nonno raccontava che un tempo il paese aveva un altro nome e che fu cambiato dopo la guerra. È vero? Esiste qualche pubblicazione sull'argomento?
"""),
]

# Short URP answers, quoted in citizen replies and carried by bounced/receipted outgoing mail.
URP_REPLIES = {
    "anagrafe": "in merito alla Sua richiesta La informiamo che le pratiche anagrafiche si presentano presso i Servizi Demografici, previo appuntamento da prenotare tramite l'agenda online o telefonando allo 0999 120300 dal lunedì al venerdì dalle 9 alle 12. Sul sito istituzionale trova l'elenco dei documenti necessari.",
    "tributi": "La informiamo che la Sua richiesta è stata inoltrata all'Ufficio Tributi, che la contatterà direttamente. Per informazioni sui versamenti IMU e TARI può consultare la pagina dedicata del sito o rivolgersi allo sportello il martedì e il giovedì dalle 9 alle 13.",
    "impianti-termici": "La informiamo che i controlli sugli impianti termici sono gestiti dall'agenzia energetica incaricata, alla quale abbiamo trasmesso la Sua comunicazione. Per le dichiarazioni di avvenuta manutenzione può rivolgersi al Suo manutentore.",
    "servizi-online": "per problemi di accesso al portale dei servizi online può rivolgersi all'URP negli orari di apertura con un documento di identità, oppure scriverci indicando il nome utente e una descrizione dell'errore riscontrato.",
    "edilizia": "La informiamo che la Sua richiesta è stata trasmessa allo Sportello Unico per l'Edilizia. Per appuntamenti con i tecnici istruttori è necessario prenotare tramite l'agenda online del SUE.",
    "attivita-produttive": "La informiamo che le pratiche relative alle attività produttive vanno presentate in modalità telematica tramite il portale SUAP. Per chiarimenti l'ufficio riceve su appuntamento il mercoledì mattina.",
    "mobilita": "La informiamo che la Sua richiesta è stata inoltrata all'Ufficio Mobilità e Traffico, che provvederà a risponderLe nel più breve tempo possibile.",
    "polizia-municipale": "per le questioni relative a verbali e sanzioni può rivolgersi all'Ufficio Verbali del Comando di Polizia Municipale, aperto al pubblico il lunedì, il mercoledì e il venerdì dalle 8.30 alle 12.30.",
    "lavori-pubblici": "La ringraziamo per la segnalazione, che è stata registrata e inoltrata all'Ufficio Manutenzioni per il sopralluogo.",
    "ambiente": "La ringraziamo per la segnalazione, che abbiamo girato all'Ufficio Ambiente e al gestore del servizio di raccolta.",
    "sociale": "per accedere ai servizi sociali è previsto un primo colloquio con il segretariato sociale, che riceve su appuntamento il martedì e il venerdì mattina (tel. 0999 120450).",
    "scuola": "La informiamo che la Sua richiesta è stata inoltrata all'Ufficio Servizi Educativi. Le informazioni su iscrizioni, mensa e trasporto scolastico sono pubblicate nella sezione Scuola del sito.",
    "cultura-sport": "La ringraziamo per l'interesse. La Sua richiesta è stata trasmessa all'Ufficio Cultura, Sport e Turismo.",
    "lavoro": "La informiamo che bandi di concorso e avvisi di selezione sono pubblicati nella sezione Amministrazione trasparente del sito; per chiarimenti può scrivere all'Ufficio Personale.",
    "cimiteri": "La informiamo che la Sua richiesta è stata inoltrata ai Servizi Cimiteriali, che La contatteranno per un appuntamento.",
    "rapporti-ente": "La informiamo che la Sua istanza è stata registrata al protocollo generale e assegnata all'ufficio competente, che risponderà entro i termini di legge.",
    "altri-enti": "La informiamo che la questione non è di competenza comunale. Le suggeriamo di rivolgersi direttamente all'ente interessato, i cui recapiti sono disponibili sul relativo sito.",
    "altro": "abbiamo ricevuto il Suo messaggio. Per poterLe rispondere avremmo bisogno di qualche informazione in più sulla Sua richiesta.",
}

OFFICES = {
    "anagrafe": "Servizi Demografici", "tributi": "Tributi", "impianti-termici": "Ambiente - Impianti termici",
    "servizi-online": "Relazioni con il Pubblico", "edilizia": "Edilizia Privata", "attivita-produttive": "SUAP",
    "mobilita": "Mobilità e Traffico", "polizia-municipale": "Polizia Municipale", "lavori-pubblici": "Lavori Pubblici",
    "ambiente": "Ambiente", "sociale": "Servizi Sociali", "scuola": "Servizi Educativi", "cultura-sport": "Cultura e Sport",
    "lavoro": "Personale", "cimiteri": "Servizi Cimiteriali", "rapporti-ente": "Segreteria Generale",
    "altri-enti": "Relazioni con il Pubblico", "altro": "Relazioni con il Pubblico",
}

# --------------------------------------------------------------------------
# Greetings, closings, signatures, footers, disclaimers
# --------------------------------------------------------------------------

GREETINGS = {
    "f": ["Spett.le Comune di Borgo Esempio,", "Spett.le Ufficio Relazioni con il Pubblico,",
          "Alla c.a. dell'Ufficio {office}", "Gentili Signori,", "Egregi Signori,",
          "Al Comune di Borgo Esempio\nUfficio {office}\n\nOggetto: {subject}", "Spett.le Ufficio,"],
    "n": ["Buongiorno,", "Buongiorno.", "Gentile Ufficio,", "Gentilissimi,", "Salve,", "Buonasera,",
          "Gentile URP,", "Buongiorno a tutti,", "Spett.le Comune,", "Gentili signori,"],
    "i": ["Salve", "Buongiorno", "buongiorno", "Ciao,", "Salve a tutti", "Buonasera", "", "Buongiorno!"],
}
CLOSINGS = {
    "f": ["Distinti saluti.", "Ringraziando anticipatamente, porgo distinti saluti.",
          "In attesa di un cortese riscontro, porgo cordiali saluti.", "Resto in attesa di riscontro e porgo distinti saluti.",
          "Con osservanza.", "Certo di un Vostro riscontro, porgo cordiali saluti."],
    "n": ["Cordiali saluti", "Grazie e buona giornata", "Grazie mille, saluti", "Cordialmente",
          "Resto in attesa di una vostra risposta.\nSaluti", "Grazie in anticipo", "Saluti e grazie",
          "Ringrazio e saluto cordialmente."],
    "i": ["grazie", "Grazie!", "saluti", "Grazie ciao", "grazie mille", "Buona giornata", "attendo risposta", "Grazie 1000"],
}
REPLY_OPENERS = [
    "Grazie per la risposta, ma avrei ancora un dubbio.",
    "Vi ringrazio per la risposta. Riscrivo perché la questione non è ancora risolta:",
    "Buongiorno, torno a scrivere sullo stesso argomento.",
    "grazie ma non ho capito bene, rispiego:",
    "Ringrazio per il riscontro. Preciso meglio la mia richiesta:",
    "Scusate se insisto, ma nessuno mi ha ancora ricontattato.",
]
MOBILE_FOOTERS = ["Inviato da iPhone", "Inviato dal mio smartphone Samsung Galaxy", "Ottieni Outlook per Android",
                  "Inviato da Posta per Windows", "Inviato da dispositivo mobile"]
ECO_FOOTER = "Prima di stampare questa e-mail pensa all'ambiente."
DISCLAIMERS = [
    "AVVISO DI RISERVATEZZA: ai sensi del D.lgs. 196/2003 e del Regolamento UE 2016/679 (GDPR), le informazioni contenute in questo messaggio e negli eventuali allegati sono riservate e destinate esclusivamente alle persone o agli enti in indirizzo. Se avete ricevuto questo messaggio per errore, vi preghiamo di darne notizia al mittente e di cancellarlo. Ogni utilizzo non autorizzato è vietato.",
    "Le informazioni contenute in questa comunicazione sono riservate e destinate unicamente al destinatario indicato. In ottemperanza al Regolamento UE 2016/679, qualora abbiate ricevuto il messaggio per errore siete pregati di distruggerlo e di informare il mittente.\n\nThis message and any attachments may be confidential and are intended solely for the addressee. If you have received it in error, please notify the sender and delete it.",
    "Questo messaggio di posta elettronica contiene informazioni di carattere confidenziale rivolte esclusivamente al destinatario sopra indicato. E' vietato l'uso, la diffusione, distribuzione o riproduzione da parte di ogni altra persona. Nel caso aveste ricevuto questo messaggio per errore siete pregati di segnalarlo immediatamente al mittente e di distruggere quanto ricevuto.",
]

# --------------------------------------------------------------------------
# Invented people and places
# --------------------------------------------------------------------------

MALE_NAMES = ["Marco", "Luca", "Giuseppe", "Alessandro", "Andrea", "Francesco", "Matteo", "Stefano", "Paolo",
              "Roberto", "Davide", "Simone", "Nicolò", "Fabio", "Massimo", "Claudio", "Giovanni", "Riccardo",
              "Lorenzo", "Antonio", "Enrico", "Daniele", "Pietro", "Sergio", "Gianluca", "Mirko", "Tommaso",
              "Emanuele", "Vittorio", "Raffaele"]
FEMALE_NAMES = ["Giulia", "Francesca", "Chiara", "Sara", "Laura", "Anna", "Elena", "Valentina", "Silvia",
                "Martina", "Federica", "Paola", "Alessandra", "Monica", "Roberta", "Cristina", "Elisa", "Barbara",
                "Noemi", "Ilaria", "Serena", "Lucia", "Marta", "Rosanna", "Debora", "Gaia", "Teresa", "Manuela",
                "Lorella", "Annalisa"]
SURNAMES = ["Bianchi", "Ferri", "Russo", "Galli", "Conti", "Moretti", "Barbieri", "Lombardi", "Marchetti",
            "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso", "Ferrara", "Gatti", "Pellegrini", "Bellini",
            "Testa", "Guerra", "Farina", "Palumbo", "Sala", "Donati", "Monti", "Orlando", "Valentini", "Serra",
            "Neri", "Cattaneo", "Bassi", "Fabbri", "Vitale", "Sartori", "Benedetti", "Grasso", "Parisi",
            "Baldini", "Cerri", "Tognetti", "Mazzei", "Puccinelli", "Lenzi", "Bertolucci", "Dell'Orto", "D'Angelo",
            "Niccolai", "Pagnini", "Biagini", "Rossetti"]
STREETS = ["via Roma", "via Garibaldi", "via dei Tigli", "via del Mulino", "via XX Settembre", "via San Rocco",
           "via delle Rose", "via Mazzini", "via Cavour", "viale Europa", "via della Pieve", "via del Castello",
           "via della Fornace", "via dei Pioppi", "vicolo del Forno", "via Nazionale", "via delle Ginestre",
           "via don Minzoni", "via Gramsci", "via dei Campi", "via del Borgo Nuovo", "via Fratelli Cervi",
           "via delle Lavandaie", "via Vecchia Pisana", "via dei Giardini", "via Matteotti"]
FRAZIONI = ["Castelvecchio", "Pieve Alta", "Ronchi", "San Lorenzo in Piano", "Molino Nuovo", "Casalbosco", "Valdiserra"]
CITTA_ORIG = ["Firenze", "Bologna", "Livorno", "Torino", "Napoli", "Bari", "Verona", "Perugia", "Genova", "Palermo"]
CITTA_OSP = ["Pontevalle", "Montealto", "Castelnuovo di Valle"]
SCUOLE = ["\"Gianni Rodari\"", "\"Don Milani\"", "\"Collodi\"", "di Pieve Alta", "\"Maria Montessori\""]
CONDOMINI = ["Condominio Le Querce", "Condominio Il Glicine", "Condominio Villa Serena", "Condominio Borgo Sole"]

FREEMAIL = ["esempiomail.it", "postaesempio.it", "mailesempio.com", "webesempio.it", "example.com",
            "example.org", "inbox-esempio.it", "libero-esempio.it"]
PEC_DOMAINS = [
    # citizen PEC domain, provider domain (From of envelopes), gestore name, daticert as base64?
    ("pec.esempio.it", "pec.provider.it", "Provider PEC Esempio S.p.A.", True),
    ("legalmail-esempio.it", "postacert.legalmail-esempio.it", "LegalMail Esempio S.p.A.", False),
    ("pec.postacert-esempio.it", "pec.postacert-esempio.it", "Postacert Esempio S.p.A.", True),
    ("pec.ordineprofessioni-esempio.it", "pec.provider.it", "Provider PEC Esempio S.p.A.", True),
]
COMUNE_PEC_PROVIDER = ("pec.gestorepa-esempio.it", "GestorePA Esempio S.p.A.")

MONTHS_IT = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
             "ottobre", "novembre", "dicembre"]
MONTHS_IT_SHORT = ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"]
DAYS_IT = ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"]
DAYS_IT_SHORT = ["lun", "mar", "mer", "gio", "ven", "sab", "dom"]
DAYS_EN = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

# --------------------------------------------------------------------------
# Excluded mail content
# --------------------------------------------------------------------------

# Subjects of mail the comune sends (by PEC or ordinary mail), used in receipts, bounces, auto-replies.
OUTGOING_PEC_SUBJECTS = [
    ("Riscontro alla Vs. istanza prot. n. {prot} del {data}", "rapporti-ente"),
    ("Comunicazione esito istanza di accesso agli atti", "rapporti-ente"),
    ("Trasmissione certificato di destinazione urbanistica", "edilizia"),
    ("Richiesta integrazione documentale - pratica SUE n. {num}", "edilizia"),
    ("Comunicazione di avvio del procedimento - Ufficio Tributi", "tributi"),
    ("Esito istanza di autotutela - avviso di accertamento IMU", "tributi"),
    ("Comune di Borgo Esempio - risposta a segnalazione n. {num}", "lavori-pubblici"),
    ("Comunicazione ammissione contributo affitto", "sociale"),
    ("Convocazione colloquio - selezione pubblica", "lavoro"),
    ("Trasmissione verbale di sopralluogo", "polizia-municipale"),
    ("SUAP - ricevuta e avvio procedimento SCIA n. {num}", "attivita-produttive"),
]

AUTO_REPLY_TEMPLATES = [
    # (subject prefix, headers kind, body, charset)
    ("Risposta automatica: ", "exchange",
     "Sono fuori ufficio fino al {rientro} con accesso limitato alla posta elettronica.\n"
     "Per urgenze potete contattare il numero {tel}.\n\nRisponderò al mio rientro.\n\n{nome_completo}", "windows-1252"),
    ("Fuori ufficio: ", "zimbra",
     "Messaggio di assenza.\n\nSono in ferie dal {dal} al {rientro}: rientrerò in ufficio il giorno successivo.\n"
     "Il messaggio non verrà inoltrato. Per questioni urgenti scrivere a segreteria@{org_domain}.", "utf-8"),
    ("Fuori sede: ", "plain",
     "Gentile mittente,\nsono fuori sede per lavoro e leggerò la posta con ritardo.\n"
     "Per urgenze contattare il {tel}.\nGrazie\n{nome}", "iso-8859-1"),
    ("Automatic reply: ", "exchange",
     "Buongiorno, sono assente dall'ufficio fino al {rientro}.\nGood morning, I am out of the office until {rientro_en}.\n\n"
     "Per urgenze / For urgent matters: {tel}", "utf-8"),
    ("", "ticket",
     "Gentile utente,\nabbiamo ricevuto la sua richiesta, registrata con il numero {ticket}.\n"
     "Questa è una risposta automatica: non è necessario rispondere a questo messaggio.\n"
     "Un operatore la contatterà entro due giorni lavorativi.\n\nServizio Clienti {org}", "utf-8"),
    ("Risposta automatica: ", "exchange",
     "Lo studio resterà chiuso per ferie dal {dal} al {rientro}.\nLe e-mail ricevute in questo periodo saranno lette al rientro.\n\n"
     "Studio {cognome} & Associati", "windows-1252"),
    ("Out of Office: ", "noheader",
     "Sono assente dal {dal} al {rientro}. Rientrerò il {rientro_plus}.\nPer urgenze contattare {nome_collega} al {tel}.", "utf-8"),
]

BOUNCE_TEMPLATES = ["postfix-unknown", "gmail-like", "italian-full", "exim-nodomain", "postfix-delay"]

NEWSLETTERS = [
    # (kind, from name, from addr, list-id, subject, body paragraphs, html?, charset)
    ("newsletter", "Notiziario Enti Locali", "newsletter@notiziario-entilocali-esempio.it",
     "Notiziario Enti Locali <notiziario.notiziario-entilocali-esempio.it>",
     "Notiziario Enti Locali n. {n}/{anno}",
     ["In questo numero:",
      "- Legge di bilancio: le novità per IMU e TARI e i termini per le delibere tariffarie",
      "- Anagrafe: nuove funzioni ANPR per i certificati online",
      "- Appalti: aggiornate le soglie per gli affidamenti diretti",
      "- Personale: chiarimenti sul salario accessorio",
      "Leggi tutti gli articoli sul nostro sito. Ricevi questa newsletter perché sei iscritto al servizio di aggiornamento per gli enti locali. Per cancellarti usa il link in fondo alla pagina."],
     True, "utf-8"),
    ("newsletter", "Formazione PA Esempio", "eventi@formazionepa-esempio.it",
     "Webinar Formazione PA <webinar.formazionepa-esempio.it>",
     "Webinar gratuito: accesso civico, FOIA e trasparenza - {data}",
     ["Gentile Responsabile,",
      "il {data} alle ore 10.00 si terrà il webinar gratuito dedicato alle novità in materia di accesso civico generalizzato e di obblighi di pubblicazione.",
      "Programma: quadro normativo; gestione delle istanze; registro degli accessi; casi pratici.",
      "Iscriviti subito: i posti sono limitati. Attestato di partecipazione valido per la formazione obbligatoria.",
      "Se non vuoi più ricevere le nostre comunicazioni clicca su Disiscriviti."],
     True, "iso-8859-1"),
    ("newsletter", "Gestionali PA Esempio", "noreply@gestionalipa-esempio.it",
     "Note di rilascio <release-notes.gestionalipa-esempio.it>",
     "Note di rilascio versione {ver} - Servizi Demografici e Tributi",
     ["Gentile cliente,",
      "è disponibile la versione {ver} delle procedure Demografici e Tributi.",
      "Principali novità: nuovo tracciato per la bollettazione TARI con avvisi pagoPA; correzioni alla stampa dei certificati anagrafici; aggiornamento del modulo per le liste elettorali.",
      "L'aggiornamento verrà installato automaticamente nella notte tra sabato e domenica.",
      "Per non ricevere più queste comunicazioni modifica le preferenze nell'area clienti."],
     False, "utf-8"),
    ("newsletter", "Regione Esempio - Notizie", "notizie@regione-esempio.it",
     "Notizie dalla Regione <notizie.regione-esempio.it>",
     "Regione Esempio informa - {mese} {anno}",
     ["Bandi aperti per i Comuni:",
      "- contributi per la riforestazione urbana e il verde pubblico, scadenza a fine mese;",
      "- fondo per la mobilità sostenibile e le piste ciclabili;",
      "- campagna regionale per il controllo degli impianti termici: materiali informativi per i cittadini.",
      "Questa comunicazione è inviata agli iscritti alla lista Notizie dalla Regione."],
     True, "utf-8"),
    ("newsletter", "ACE - Associazione Comuni Esempio", "circolari@associazionecomuni-esempio.it",
     "Circolari Associazione Comuni <circolari.associazionecomuni-esempio.it>",
     "Circolare settimanale n. {n} - scadenze e adempimenti",
     ["Scadenze della settimana: trasmissione dei dati sulla raccolta differenziata, pubblicazione delle delibere tariffarie TARI, comunicazioni all'Osservatorio dei contratti pubblici.",
      "In allegato la nota sull'imposta di soggiorno e le indicazioni operative per i servizi sociali.",
      "Per disiscriversi inviare un messaggio a circolari-unsubscribe@associazionecomuni-esempio.it."],
     False, "windows-1252"),
    ("bulk", "Ufficio Forniture Srl", "promo@ufficioforniture-esempio.it", None,
     "Offerta riservata agli enti pubblici: toner e cancelleria -20%",
     ["Gentile Ente,",
      "fino alla fine del mese tutti i toner compatibili e la cancelleria per uffici sono scontati del 20% con consegna gratuita in 48 ore.",
      "Siamo iscritti al MePA: cerca \"Ufficio Forniture\" nel catalogo.",
      "Ha ricevuto questa comunicazione commerciale perché il suo indirizzo è pubblicato sul sito istituzionale."],
     True, "windows-1252"),
    ("bulk", "Arredo Verde Esempio", "marketing@arredoverde-esempio.it", None,
     "Nuovo catalogo {anno}: giochi per parchi e arredo urbano",
     ["Scopra il nuovo catalogo {anno}: aree gioco certificate, panchine, cestini e fontanelle per il verde pubblico.",
      "Sopralluogo e progettazione gratuiti per i Comuni.",
      "Per non ricevere più comunicazioni risponda con oggetto CANCELLA."],
     True, "iso-8859-1"),
    ("bulk", "Fiera Servizi Pubblici", "info@fieraservizipubblici-esempio.it", None,
     "Invito: Fiera dei servizi pubblici locali - ingresso gratuito",
     ["Siamo lieti di invitarla alla Fiera dei servizi pubblici locali: tre giorni di convegni su rifiuti, mobilità, illuminazione pubblica e digitalizzazione degli enti.",
      "Registrazione online obbligatoria. Ingresso gratuito per dipendenti e amministratori pubblici."],
     False, "utf-8"),
]

INTERNAL_TEMPLATES = [
    ("ufficio.tributi", "Ufficio Tributi", "Risposta per cittadino - rimborso TARI",
     "Ciao,\nper la richiesta di rimborso TARI arrivata ieri all'URP puoi rispondere che la pratica è stata presa in carico "
     "e che il rimborso verrà disposto entro novanta giorni. Se richiama passamela pure.\n\nGrazie\n{nome}\nUfficio Tributi - int. 214"),
    ("sistemi.informativi", "Sistemi Informativi", "Interruzione programmata posta elettronica sabato {data}",
     "A tutti gli uffici,\nsabato {data} dalle 8.00 alle 14.00 la posta elettronica e il portale dei servizi online saranno "
     "sospesi per manutenzione dei server. I messaggi in arrivo verranno consegnati alla riattivazione.\n\n"
     "Servizio Sistemi Informativi\nComune di Borgo Esempio"),
    ("segreteria.sindaco", "Segreteria del Sindaco", "Orari di ricevimento del Sindaco dal mese prossimo",
     "Buongiorno,\nvi comunichiamo che dal mese prossimo il Sindaco riceverà i cittadini il martedì dalle 15 alle 18, "
     "solo su appuntamento. Vi chiediamo di dare l'informazione a chi la richiede all'URP.\n\nCordiali saluti\nSegreteria del Sindaco"),
    ("servizi.demografici", "Servizi Demografici", "Aperture straordinarie CIE",
     "Ciao a tutti,\nsabato {data} e il sabato successivo lo sportello CIE sarà aperto in via straordinaria dalle 9 alle 12. "
     "Le prenotazioni sono già aperte sull'agenda online: potete indicarle ai cittadini che chiedono un appuntamento urgente.\n\n{nome}\nServizi Demografici"),
    ("personale", "Ufficio Personale", "Corso obbligatorio sicurezza sul lavoro - calendario",
     "Si comunica che il corso di aggiornamento obbligatorio sulla sicurezza nei luoghi di lavoro si terrà in sala consiliare "
     "nelle date indicate nel calendario allegato. La presenza è obbligatoria per tutto il personale dell'URP.\n\nUfficio Personale"),
    ("polizia.municipale", "Comando Polizia Municipale", "Ordinanza chiusura strade per la festa patronale",
     "Buongiorno,\nvi trasmettiamo l'ordinanza di chiusura al traffico del centro storico per la festa patronale. "
     "Vi chiediamo di informare i cittadini che chiamano: sarà istituita una navetta gratuita dal parcheggio della stazione.\n\n"
     "Comando Polizia Municipale - Ufficio Viabilità"),
    ("ufficio.ambiente", "Ufficio Ambiente", "Calendario raccolta differenziata {anno1}: file definitivo",
     "Ciao,\nti giro il calendario definitivo della raccolta differenziata per il {anno1}, da pubblicare sul sito e da "
     "tenere allo sportello. Le frazioni di Ronchi e Valdiserra passano al giro del mercoledì.\n\nA presto\n{nome}"),
]

# --------------------------------------------------------------------------
# Deterministic randomness and time
# --------------------------------------------------------------------------

rng = random.Random(SEED)


def wchoice(items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def last_sunday(year, month):
    d = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    while d.weekday() != 6:
        d -= dt.timedelta(days=1)
    return d


def rome_offset(local):
    """UTC offset in hours of Europe/Rome for a naive local time (EU DST rule)."""
    start = dt.datetime.combine(last_sunday(local.year, 3), dt.time(2))
    end = dt.datetime.combine(last_sunday(local.year, 10), dt.time(3))
    return 2 if start <= local < end else 1


class When:
    """A local Europe/Rome time with its offset."""

    def __init__(self, local):
        self.local = local
        self.off = rome_offset(local)

    @classmethod
    def from_utc(cls, utc):
        for off in (2, 1):
            local = utc + dt.timedelta(hours=off)
            if rome_offset(local) == off:
                return cls(local)
        return cls(utc + dt.timedelta(hours=1))

    @property
    def utc(self):
        return self.local - dt.timedelta(hours=self.off)

    @property
    def epoch(self):
        return int((self.utc - dt.datetime(1970, 1, 1)).total_seconds())

    def plus(self, seconds):
        return When.from_utc(self.utc + dt.timedelta(seconds=seconds))

    @property
    def zona(self):
        return "+0%d00" % self.off

    def rfc2822(self, comment=False):
        l = self.local
        s = "%s, %d %s %d %02d:%02d:%02d %s" % (DAYS_EN[l.weekday()], l.day, MONTHS_EN[l.month - 1], l.year,
                                                l.hour, l.minute, l.second, self.zona)
        if comment:
            s += " (CEST)" if self.off == 2 else " (CET)"
        return s

    def iso(self):
        return self.local.strftime("%Y-%m-%dT%H:%M:%S") + "+0%d:00" % self.off

    def giorno(self):
        return self.local.strftime("%d/%m/%Y")

    def ora(self):
        return self.local.strftime("%H:%M:%S")

    def stamp(self):
        return self.local.strftime("%Y%m%d%H%M%S")


def months_by_quota(n, weights):
    """Spread n messages over the months in proportion to the weights (largest remainder)."""
    total = float(sum(weights))
    exact = [n * w / total for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(12), key=lambda i: (-(exact[i] - counts[i]), rng.random()))
    for i in order[:n - sum(counts)]:
        counts[i] += 1
    months = [m + 1 for m in range(12) for _ in range(counts[m])]
    rng.shuffle(months)
    return months


def random_when(year, month_weights, weekday_bias=True, month=None, weekdays_only=False, late_october=False):
    while True:
        m = month or wchoice(list(range(1, 13)), month_weights)
        ndays = (dt.date(year + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)).day
        day = rng.randint(15 if (late_october and m == 10) else 1, ndays)
        date = dt.date(year, m, day)
        if date.weekday() >= 5 and (weekdays_only or (weekday_bias and rng.random() < 0.6)):
            continue
        if weekdays_only and (m, day) in ((1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (11, 1), (12, 8), (12, 25), (12, 26)):
            continue
        hours = list(HOUR_WEIGHTS)
        hour = wchoice(hours, [HOUR_WEIGHTS[h] for h in hours])
        if weekdays_only:
            hour = min(max(hour, 8), 18)
        return When(dt.datetime(year, m, day, hour, rng.randint(0, 59), rng.randint(0, 59)))


def date_it(d):
    return d.strftime("%d/%m/%Y")


# --------------------------------------------------------------------------
# Invented identities: codice fiscale, IBAN, phones
# --------------------------------------------------------------------------

def _letters(s):
    table = str.maketrans("àèéìòùÀÈÉÌÒÙ", "aeeiouAEEIOU")
    return "".join(c for c in s.translate(table).upper() if "A" <= c <= "Z")


def _cf_part(s, is_name):
    s = _letters(s)
    cons = [c for c in s if c not in "AEIOU"]
    vows = [c for c in s if c in "AEIOU"]
    if is_name and len(cons) >= 4:
        return cons[0] + cons[2] + cons[3]
    return ("".join(cons + vows) + "XXX")[:3]


_CF_ODD = {c: v for c, v in zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21,
                                 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23])}


def _cf_even(c):
    return int(c) if c.isdigit() else ord(c) - 65


def codice_fiscale(first, last, female, birth):
    code = _cf_part(last, False) + _cf_part(first, True)
    code += "%02d" % (birth.year % 100) + "ABCDEHLMPRST"[birth.month - 1]
    code += "%02d" % (birth.day + (40 if female else 0))
    code += rng.choice("ABCDEFGHILM") + "%03d" % rng.randint(100, 999)   # invented place code
    total = sum(_CF_ODD[c] if i % 2 == 0 else _cf_even(c) for i, c in enumerate(code))
    return code + chr(65 + total % 26)


def iban():
    bban = rng.choice("ABCDEFGHIJKLMNOPRSTUVWXZ") + "%05d" % rng.randint(10000, 99999) + \
        "%05d" % rng.randint(10000, 99999) + "%012d" % rng.randint(10 ** 9, 10 ** 12 - 1)
    digits = "".join(str(int(c, 36)) for c in bban + "IT00")
    check = 98 - int(digits) % 97
    return "IT%02d%s" % (check, bban)


def mobile():
    return "3%d%d %03d %04d" % (rng.choice([2, 3, 4, 5, 6, 8, 9]), rng.randint(0, 9), rng.randint(0, 999), rng.randint(0, 9999))


def landline():
    return "0999 %06d" % rng.randint(100000, 999999)


def slug(s):
    return "".join(c for c in _letters(s).lower())


class Person:
    def __init__(self, kind="private", org=None):
        self.female = rng.random() < 0.5
        self.first = rng.choice(FEMALE_NAMES if self.female else MALE_NAMES)
        self.last = rng.choice(SURNAMES)
        self.birth = dt.date(rng.randint(1942, 2004), rng.randint(1, 12), rng.randint(1, 28))
        self.cf = codice_fiscale(self.first, self.last, self.female, self.birth)
        self.kind = kind
        self.title = None
        if kind == "pro-edilizia":
            self.title = rng.choice(["geom.", "arch.", "ing."])
        elif kind == "pro-tributi":
            self.title = "dott." if not self.female else "dott.ssa"
        elif kind == "pro-ing":
            self.title = "ing."
        self.org = org.format(nome=self.first, cognome=self.last) if org else None
        f, l = slug(self.first), slug(self.last)
        yy = self.birth.year % 100
        local = rng.choice(["%s.%s" % (f, l), "%s.%s%02d" % (f, l, yy), "%s%s" % (f[0], l), "%s%s" % (f, l),
                            "%s.%s" % (l, f), "%s_%s%d" % (f, l, self.birth.year), "%s%s%02d" % (l, f[0], yy)])
        if self.org:
            self.addr = rng.choice(["info", "amministrazione", "segreteria", f]) + "@" + slug(self.org)[:18] + "-esempio.it"
        elif self.title:
            self.addr = "%s.%s@studio%s-esempio.it" % (f, l, l)
        else:
            self.addr = local + "@" + rng.choice(FREEMAIL)
        pec = rng.choice(PEC_DOMAINS)
        self.pec_domain = pec
        self.pec_addr = "%s.%s@%s" % (f, l, pec[0])
        self.via = rng.choice(STREETS)
        self.civico = rng.randint(1, 140)
        self.mobile = mobile()
        self.phone = landline()
        self.display_style = rng.choice(["full", "full", "full", "upper", "none", "lastfirst"])

    @property
    def full(self):
        return "%s %s" % (self.first, self.last)

    def display(self):
        if self.org and rng.random() < 0.5:
            return self.org
        return {"full": self.full, "upper": ("%s %s" % (self.last, self.first)).upper(),
                "none": "", "lastfirst": "%s %s" % (self.last, self.first)}[self.display_style]


# --------------------------------------------------------------------------
# Header and body encoding
# --------------------------------------------------------------------------

CODECS = {"utf-8": "utf-8", "iso-8859-1": "latin-1", "windows-1252": "cp1252", "us-ascii": "ascii"}
LATIN_REPL = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
              "\u2026": "...", "\u20ac": "euro"}
_Q_SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def fit_charset(text, charset):
    codec = CODECS[charset]
    out = []
    for ch in text:
        try:
            ch.encode(codec)
            out.append(ch)
        except UnicodeEncodeError:
            out.append(LATIN_REPL.get(ch, "?"))
    return "".join(out)


def is_ascii(s):
    return all(ord(c) < 128 for c in s)


def _q(bs):
    return "".join(chr(c) if c in _Q_SAFE else ("_" if c == 32 else "=%02X" % c) for c in bs)


def encoded_words(text, charset="utf-8", mode="Q", label=None, maxlen=68):
    codec = CODECS[charset]
    label = label or charset.upper() if rng.random() < 0.5 else (label or charset)
    pre = "=?%s?%s?" % (label, mode)

    def enc(s):
        b = s.encode(codec)
        return _q(b) if mode == "Q" else base64.b64encode(b).decode("ascii")

    words, cur = [], ""
    for ch in text:
        if cur and len(pre) + len(enc(cur + ch)) + 2 > maxlen:
            words.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        words.append(cur)
    return [pre + enc(w) + "?=" for w in words]


def fold(name, value):
    """Fold an ASCII header at spaces to keep lines under 78 characters."""
    line = "%s: %s" % (name, value)
    if len(line) <= 78 or "\n" in value:
        return line
    out, cur = [], name + ":"
    for tok in value.split(" "):
        if len(cur) + 1 + len(tok) > 78 and cur.strip() and cur != name + ":":
            out.append(cur)
            cur = " " + tok
        else:
            cur += " " + tok
    out.append(cur)
    return "\n".join(out)


def hdr_text(name, text, charset="utf-8", prefix="", mode=None):
    """Unstructured header (Subject): RFC 2047 when not ASCII."""
    fitted = fit_charset(text, charset)
    if is_ascii(fitted):
        return fold(name, prefix + fitted)
    mode = mode or ("B" if rng.random() < 0.25 else "Q")
    words = encoded_words(fitted, charset, mode)
    first = name + ": " + prefix + words[0]
    return "\n ".join([first] + words[1:])


_ATEXT = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~ ")


def addr(name, address, charset="utf-8"):
    if not name:
        return address
    name = fit_charset(name, charset)
    if is_ascii(name):
        if all(c in _ATEXT for c in name):
            return "%s <%s>" % (name, address)
        return '"%s" <%s>' % (name.replace("\\", "\\\\").replace('"', '\\"'), address)
    return "%s <%s>" % (" ".join(encoded_words(name, charset, "Q")), address)


def wrap_plain(text, width=76, flowed=False):
    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        prefix = ""
        while line.startswith(">"):
            prefix += "> "
            line = line[1:].lstrip(" ")
        parts = textwrap.wrap(line, width=width - len(prefix), break_long_words=False, break_on_hyphens=False)
        for i, p in enumerate(parts):
            soft = " " if flowed and i < len(parts) - 1 else ""
            out.append(prefix + p + soft)
    return "\n".join(out)


def encode_body(text, charset, cte, flowed=False, nowrap=False):
    text = fit_charset(text, charset)
    if not text.endswith("\n"):
        text += "\n"
    if cte in ("8bit", "7bit"):
        if not nowrap:
            text = wrap_plain(text, 72 if flowed else 76, flowed)
        data = text.encode(CODECS[charset])
        return data, ("7bit" if all(b < 128 for b in data) else "8bit")
    data = text.encode(CODECS[charset])
    if cte == "quoted-printable":
        return quopri.encodestring(data), cte
    if cte == "base64":
        return base64.encodebytes(data), cte
    raise ValueError(cte)


class Part:
    def __init__(self, headers, body=b"", parts=None, boundary=None, preamble=None):
        self.headers = list(headers)
        self.body = body
        self.parts = parts
        self.boundary = boundary
        self.preamble = preamble

    def render(self):
        out = "".join(h + "\n" for h in self.headers).encode("ascii") + b"\n"
        if self.parts is None:
            return out + self.body
        if self.preamble:
            out += self.preamble.encode("ascii") + b"\n"
        b = self.boundary.encode("ascii")
        for p in self.parts:
            out += b"\n--" + b + b"\n" + p.render()
        out += b"\n--" + b + b"--\n"
        return out


def boundary(style="generic"):
    h = "%032x" % rng.getrandbits(128)
    if style == "gmail":
        return "000000000000" + h[:16]
    if style == "outlook":
        return "_000_" + h[:24].upper() + "_"
    if style == "apple":
        return "Apple-Mail=_" + h[:8].upper() + "-" + h[8:12].upper() + "-" + h[12:16].upper()
    if style == "pec":
        return "----=_Part_%d_%d.%d" % (rng.randint(1000, 99999), rng.randint(10 ** 8, 10 ** 9), rng.randint(10 ** 12, 10 ** 13))
    return "=_" + h[:28]


def text_leaf(text, subtype, charset, cte, flowed=False, disposition=None, nowrap=False):
    data, cte = encode_body(text, charset, cte, flowed, nowrap)
    ct = "Content-Type: text/%s; charset=%s" % (subtype, charset if rng.random() < 0.7 else '"%s"' % charset)
    if flowed:
        ct += "; format=flowed"
    hs = [ct, "Content-Transfer-Encoding: " + cte]
    if disposition:
        hs.append("Content-Disposition: " + disposition)
    return Part(hs, data)


def multi(subtype, parts, style="generic", params="", preamble=None):
    b = boundary(style)
    ct = 'Content-Type: multipart/%s;%s\n boundary="%s"' % (subtype, params, b)
    return Part([ct], parts=parts, boundary=b, preamble=preamble)


def b64_leaf(ctype, data, filename, disposition="attachment"):
    if is_ascii(filename):
        disp = '%s; filename="%s"' % (disposition, filename)
        name = '; name="%s"' % filename
    else:
        from urllib.parse import quote
        disp = "%s;\n filename*=utf-8''%s" % (disposition, quote(filename))
        name = ""
    return Part(["Content-Type: %s%s" % (ctype, name), "Content-Disposition: " + disp,
                 "Content-Transfer-Encoding: base64"], base64.encodebytes(data))


def fake_pdf(title):
    title = fit_charset(title, "iso-8859-1").encode("latin-1")
    stream = b"BT /F1 12 Tf 72 770 Td (" + title + b") Tj ET"
    body = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
            b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n"
            b"4 0 obj\n<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream\nendobj\n")
    return body + rng.randbytes(rng.randint(200, 900)).hex().encode() + b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def fake_jpeg():
    return (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            + rng.randbytes(rng.randint(900, 2400)) + b"\xff\xd9")


def fake_signature():
    n = rng.randint(1600, 2600)
    return b"\x30\x82" + n.to_bytes(2, "big") + b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" + rng.randbytes(n - 11)


def message_id(style, domain, when):
    h = "%032x" % rng.getrandbits(128)
    if style == "gmail":
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+_-="
        tok = "".join(rng.choice(alphabet) for _ in range(44))
        return "<CA%s@mail.%s>" % (tok, domain)
    if style == "outlook":
        return "<%s%s@%s>" % (h[:20].upper(), h[20:].upper(), domain.upper().replace(".", "-") + ".prod.outlook.example")
    if style == "apple":
        return "<%s-%s-%s-%s-%s@%s>" % (h[:8].upper(), h[8:12].upper(), h[12:16].upper(), h[16:20].upper(), h[20:].upper(), domain)
    if style == "tb":
        return "<%s-%s-%s-%s-%s@%s>" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:], domain)
    return "<%d.%s@%s>" % (when.epoch, h[:12], domain)


def received(helo, when, ip=None, by="mx1.comune.borgoesempio.it", rcpt=URP_ADDR):
    ip = ip or "%s.%d" % (rng.choice(["192.0.2", "198.51.100", "203.0.113"]), rng.randint(2, 250))
    qid = "".join(rng.choice("0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz") for _ in range(12))
    return ("Received: from %s (%s [%s])\n\tby %s (Postfix) with ESMTPS id 4%s\n\tfor <%s>; %s"
            % (helo, helo, ip, by, qid, rcpt, when.plus(rng.randint(2, 40)).rfc2822(comment=True)))


def domain_of(address):
    return address.rsplit("@", 1)[1]

# --------------------------------------------------------------------------
# Citizen mail: text composition
# --------------------------------------------------------------------------

PROFILES = {
    # name: weight, charset, structure, text CTE, html CTE, html style, mailer header, msgid style, footer
    "gmail":          dict(w=22, cs="utf-8", st="alt", cte="quoted-printable", hcte="quoted-printable", html="gmail", hdr=None, mid="gmail", quote="gmail"),
    "thunderbird":    dict(w=11, cs="utf-8", st="plain", cte="8bit", flowed=True, hdr=("User-Agent", "Mozilla Thunderbird"), mid="tb", quote="tb"),
    "iphone":         dict(w=11, cs="utf-8", st="plain", cte="quoted-printable", hdr=("X-Mailer", "iPhone Mail (21F90)"), mid="apple", footer="Inviato da iPhone", quote="apple"),
    "outlook":        dict(w=9, cs="windows-1252", st="alt", cte="quoted-printable", hcte="quoted-printable", html="outlook", hdr=("X-Mailer", "Microsoft Outlook 16.0"), mid="outlook", quote="outlook"),
    "outlook_mobile": dict(w=2, cs="utf-8", st="alt", cte="base64", hcte="base64", html="outlook", hdr=None, mid="outlook", footer="Ottieni Outlook per Android", quote="outlook"),
    "roundcube":      dict(w=8, cs="utf-8", st="plain", cte="quoted-printable", hdr=("User-Agent", "Roundcube Webmail/1.6.6"), mid="generic", quote="tb"),
    "oldwebmail":     dict(w=6, cs="iso-8859-1", st="plain", cte="8bit", hdr=("X-Mailer", "WebMail Esempio 4.2"), mid="generic", quote="original"),
    "latinqp":        dict(w=5, cs="iso-8859-1", st="plain", cte="quoted-printable", hdr=("X-Mailer", "Microsoft Outlook Express 6.00.2900.5931"), mid="generic", quote="original"),
    "htmlonly":       dict(w=6, cs="utf-8", st="html", hcte="quoted-printable", html="webmail", hdr=("X-Mailer", "Webmail Esempio Plus 2.0"), mid="generic", quote="gmail"),
    "htmlonly_latin": dict(w=3, cs="iso-8859-1", st="html", hcte="quoted-printable", html="webmail", hdr=None, mid="generic", quote="original"),
    "android":        dict(w=3, cs="utf-8", st="plain", cte="base64", hdr=None, mid="generic", footer="Inviato dal mio smartphone Samsung Galaxy", quote="gmail"),
    "plain8bit":      dict(w=6, cs="utf-8", st="plain", cte="8bit", hdr=None, mid="generic", quote="gmail"),
}
PEC_PROFILES = {
    "pecweb":         dict(w=5, cs="utf-8", st="alt", cte="quoted-printable", hcte="quoted-printable", html="webmail", hdr=("X-Mailer", "Webmail PEC Esempio"), mid="generic", quote="original"),
    "pecplain":       dict(w=3, cs="utf-8", st="plain", cte="quoted-printable", hdr=None, mid="generic", quote="original"),
    "pecoutlook":     dict(w=2, cs="windows-1252", st="alt", cte="quoted-printable", hcte="quoted-printable", html="outlook", hdr=("X-Mailer", "Microsoft Outlook 16.0"), mid="outlook", quote="outlook"),
    "peclatin":       dict(w=1, cs="iso-8859-1", st="plain", cte="quoted-printable", hdr=("X-Mailer", "Webmail PEC Esempio"), mid="generic", quote="original"),
}

ATTACH_NAMES = {
    "generic": ["documento_identita.pdf", "scansione.pdf", "Documento.pdf", "allegato.pdf"],
    "ricevut": ["ricevuta.pdf", "quietanza.pdf", "ricevuta_pagamento.pdf", "ricevuta già pagata.pdf"],
    "planimetr": ["planimetria.pdf"],
    "verbale": ["verbale_riconsegna.pdf", "copia_notifica.pdf"],
    "programma": ["programma_serata.pdf", "statuto_associazione.pdf"],
    "rapporto": ["rapporto_controllo.pdf", "RCEE_2024.pdf"],
    "contrassegno": ["contrassegno.pdf", "certificazione_sanitaria.pdf"],
    "atto": ["atto_compravendita.pdf"],
    "documentazione": ["fattura_officina.pdf"],
}


OFFICE_MAILBOX = {"anagrafe": "anagrafe", "tributi": "tributi", "edilizia": "edilizia", "attivita-produttive": "suap",
                  "mobilita": "mobilita", "polizia-municipale": "polizia.municipale", "lavori-pubblici": "lavori.pubblici",
                  "ambiente": "ufficio.ambiente", "sociale": "servizi.sociali", "scuola": "servizi.educativi",
                  "cultura-sport": "cultura", "cimiteri": "cimiteri"}


def fill(template, slots):
    return template.format_map(slots)


def make_slots(person, when):
    y = when.local.year
    rel = when.local.date() - dt.timedelta(days=rng.randint(4, 40))
    fut = when.local.date() + dt.timedelta(days=rng.randint(8, 45))
    prec = dt.date(y - 1, rng.randint(2, 12), rng.randint(1, 28))
    civico = rng.randint(2, 120)
    own = rng.random() < 0.6   # most citizens write about their own street
    return {
        "via": person.via if own else rng.choice(STREETS), "civico": str(person.civico if own else civico), "civico2": str(civico + rng.randint(6, 30)),
        "frazione": rng.choice(FRAZIONI), "anno": str(y), "anno_prec": str(y - 1), "anno_m5": str(y - 5),
        "anno_m6": str(y - 6), "importo": "%d,%02d" % (rng.randint(90, 640), rng.randint(0, 99)),
        "importo_alto": "%d.%03d,%02d" % (rng.randint(6, 38), rng.randint(0, 999), rng.randint(0, 99)),
        "iban": iban(), "targa": "%s%s %03d %s%s" % tuple(rng.choice("ABCDEFGHJKLMNPRSTVWXYZ") if i != 2 else rng.randint(0, 999) for i in range(5)),
        "num": str(rng.randint(1200, 98000)), "num2": str(rng.randint(1200, 98000)),
        "prot": "%07d" % rng.randint(1000, 26000), "data_rel": date_it(rel), "data_fut": date_it(fut),
        "data_rel_prec": date_it(prec), "figlio": rng.choice(MALE_NAMES), "figlia": rng.choice(FEMALE_NAMES),
        "citta_orig": rng.choice(CITTA_ORIG), "citta_osp": rng.choice(CITTA_OSP), "eta": str(rng.randint(19, 58)),
        "condominio": rng.choice(CONDOMINI), "anziano": "%s %s" % (rng.choice(MALE_NAMES), person.last),
        "nome_completo": person.full, "username": slug(person.first)[:1] + slug(person.last) + str(rng.randint(1, 99)),
        "titolo": person.title or "geom.", "scuola": rng.choice(SCUOLE), "cognome": person.last, "nome": person.first,
    }


def capitalize_first(s):
    return s[:1].upper() + s[1:] if s else s


def signature(person, style, slots):
    lines = []
    r = rng.random()
    if person.title:
        lines = ["%s %s" % (person.title, person.full)]
        if person.title in ("geom.", "arch.", "ing."):
            lines.append("Studio Tecnico %s" % person.last)
        elif person.title.startswith("dott"):
            lines.append("Dottore Commercialista - Revisore legale")
        lines.append("%s %d - %s Borgo Esempio (%s)" % (capitalize_first(person.via), person.civico, CAP, PROV))
        lines.append("Tel. %s - Cell. %s" % (person.phone, person.mobile))
        lines.append("PEC: %s" % person.pec_addr)
        if rng.random() < 0.5:
            lines.append("C.F. %s" % person.cf)
    elif person.org:
        lines = [person.full, person.org]
        if rng.random() < 0.6:
            lines.append("%s %d - %s Borgo Esempio" % (capitalize_first(person.via), person.civico, CAP))
        lines.append("tel. %s" % (person.phone if rng.random() < 0.5 else person.mobile))
        if rng.random() < 0.4:
            lines.append("P.IVA %011d" % rng.randint(10 ** 9, 10 ** 11 - 1))
    elif style == "f" or r < 0.25:
        lines = [person.full if rng.random() < 0.7 else "%s %s" % (person.last.upper(), person.first.upper())]
        if rng.random() < 0.7:
            lines.append("%s n. %d" % (capitalize_first(person.via), person.civico))
            lines.append("%s Borgo Esempio (%s)" % (CAP, PROV))
        if rng.random() < 0.6:
            lines.append(rng.choice(["Tel. %s" % person.phone, "Cell. %s" % person.mobile, "cell %s" % person.mobile.replace(" ", ".")]))
        if rng.random() < 0.6:
            lines.append(rng.choice(["C.F. %s", "Codice fiscale: %s", "CF %s"]) % person.cf)
    elif r < 0.55:
        lines = [person.full]
        if rng.random() < 0.4:
            lines.append(rng.choice(["cell. %s", "%s", "Tel %s"]) % person.mobile)
    elif r < 0.8:
        lines = [rng.choice([person.first, person.full, "%s %s." % (person.first, person.last[0])])]
    else:
        lines = [] if style == "i" else [person.full]
    if lines and rng.random() < 0.15:
        lines.insert(0, "-- ")
    return "\n".join(lines)


def quote_block(kind, person, prev_when, subject, urp_text):
    urp_name = "URP Comune di Borgo Esempio"
    l = prev_when.local
    if kind == "gmail":
        head = "Il giorno %s %d %s %d alle ore %02d:%02d %s <%s> ha scritto:" % (
            DAYS_IT_SHORT[l.weekday()], l.day, MONTHS_IT_SHORT[l.month - 1], l.year, l.hour, l.minute, urp_name, URP_ADDR)
        return head, "\n".join("> " + x if x else ">" for x in urp_text.split("\n")), True
    if kind == "apple":
        head = "Il giorno %d %s %d, alle ore %02d:%02d, %s <%s> ha scritto:\n" % (
            l.day, MONTHS_IT[l.month - 1], l.year, l.hour, l.minute, urp_name, URP_ADDR)
        return head, "\n".join("> " + x if x else ">" for x in urp_text.split("\n")), True
    if kind == "tb":
        head = "Il %s %02d:%02d, %s ha scritto:" % (date_it(l), l.hour, l.minute, urp_name)
        return head, "\n".join("> " + x if x else ">" for x in urp_text.split("\n")), True
    if kind == "outlook":
        head = "________________________________\nDa: %s <%s>\nInviato: %s %d %s %d %02d:%02d\nA: %s\nOggetto: R: %s\n" % (
            urp_name, URP_ADDR, DAYS_IT[l.weekday()], l.day, MONTHS_IT[l.month - 1], l.year, l.hour, l.minute,
            person.addr, subject)
        return head, urp_text, False
    head = "-----Messaggio originale-----\nDa: %s [mailto:%s]\nInviato: %s %d %s %d %02d.%02d\nA: %s\nOggetto: R: %s\n" % (
        urp_name, URP_ADDR, DAYS_IT[l.weekday()], l.day, MONTHS_IT[l.month - 1], l.year, l.hour, l.minute,
        person.addr, subject)
    return head, urp_text, False


def urp_answer(topic, person):
    sal = "Gentile Sig.ra %s," % person.last if person.female else "Gentile Sig. %s," % person.last
    return "%s\n\n%s\n\nCordiali saluti\n\nUfficio Relazioni con il Pubblico\nComune di Borgo Esempio\ntel. 0999 120100 - urp@comune.borgoesempio.it" % (
        sal, capitalize_first(URP_REPLIES[topic]))


def compose(entry, seen):
    """Build subject, main text and optional quote for a citizen message; retry until unique."""
    body, person, slots, topic, prof = entry["body"], entry["person"], entry["slots"], entry["topic"], entry["profile"]
    for _attempt in range(40):
        subject = fill(rng.choice(body["subjects"]), slots)
        text = fill(body["body"], slots)
        style = body["style"]
        if entry["reply"]:
            text = rng.choice(REPLY_OPENERS) + "\n\n" + capitalize_first(text)
        parts = []
        if body["raw"]:
            parts.append(text)
            if "{nome}" not in body["body"] and rng.random() < 0.6:
                parts.append(rng.choice([person.first, person.full, person.full + "\n" + person.mobile]))
        else:
            greet = fill(rng.choice(GREETINGS[style]), {"office": OFFICES[topic], "subject": subject})
            if greet:
                parts.append(greet)
            lower_ok = style == "i" and (greet == "" or not greet.endswith((",", ".", "!"))) and rng.random() < 0.5
            parts.append(text if (greet.endswith(",") or lower_ok) else capitalize_first(text))
            closing = rng.choice(CLOSINGS[style])
            sig = signature(person, style, slots)
            parts.append(closing + ("\n" + sig if sig else ""))
        footer = prof.get("footer") if rng.random() < 0.8 else None
        if footer:
            parts.append(footer)
        elif rng.random() < 0.05:
            parts.append(ECO_FOOTER)
        if person.title or person.org:
            if rng.random() < 0.6:
                parts.append(rng.choice(DISCLAIMERS))
        elif rng.random() < 0.04:
            parts.append(rng.choice(DISCLAIMERS))
        main = "\n\n".join(parts)
        quote = None
        if entry["reply"]:
            prev = entry["when"].plus(-rng.randint(2, 12) * 86400 - rng.randint(0, 20000))
            while prev.local.weekday() >= 5 or prev.local.hour < 8 or prev.local.hour > 17 or prev.local.strftime("%m%d") == "0101":
                prev = prev.plus(-rng.randint(3, 9) * 3600)
            quote = quote_block(prof.get("quote", "gmail"), person, prev, subject, urp_answer(topic, person))
            entry["reply_msgid"] = message_id("generic", DOMAIN, prev)
            subject = rng.choice(["Re: ", "R: ", "RE: "]) + subject
        key = subject + "\n" + main
        if key not in seen:
            seen[key] = True
            return subject, main, quote
    raise RuntimeError("could not compose a unique message for %s" % topic)


def plain_text(main, quote):
    if not quote:
        return main
    head, qtext, _ = quote
    return main + "\n\n" + head + "\n" + qtext


def html_text(main, quote, style, charset):
    def para_html(p):
        return html.escape(fit_charset(p, charset), quote=False).replace("\n", "<br>")
    paras = [p for p in main.split("\n\n")]
    if style == "gmail":
        inner = "".join("<div>%s</div><div><br></div>" % para_html(p) for p in paras)
        out = '<div dir="ltr">%s</div>' % inner
        if quote:
            head, _, _ = quote
            out += ('<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">%s<br></div>'
                    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">%s</blockquote></div>'
                    % (para_html(head), para_html(quote_source(quote))))
        return out + "\n"
    if style == "outlook":
        body = "\n".join('<p class="MsoNormal">%s<o:p></o:p></p>\n<p class="MsoNormal"><o:p>&nbsp;</o:p></p>' % para_html(p) for p in paras)
        if quote:
            head, _, _ = quote
            body += '\n<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">\n<p class="MsoNormal">%s</p>\n</div>\n<p class="MsoNormal">%s</p>' % (
                para_html(head.strip("_\n")), para_html(quote_source(quote)))
        return ('<html xmlns:o="urn:schemas-microsoft-com:office:office">\n<head>\n'
                '<meta http-equiv="Content-Type" content="text/html; charset=%s">\n'
                '<style><!-- p.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;} --></style>\n'
                '</head>\n<body lang="IT" link="#0563C1">\n<div class="WordSection1">\n%s\n</div>\n</body>\n</html>\n') % (charset, body)
    body = "\n".join("<p>%s</p>" % para_html(p) for p in paras)
    if quote:
        head, _, _ = quote
        body += "\n<p>%s</p>\n<blockquote style=\"border-left:2px solid #1010ff;padding-left:5px\">%s</blockquote>" % (
            para_html(head), para_html(quote_source(quote)))
    return '<html><head><meta charset="%s"></head><body style="font-family:Arial,sans-serif;font-size:10pt">\n%s\n</body></html>\n' % (charset, body)


def quote_source(quote):
    _, qtext, prefixed = quote
    if not prefixed:
        return qtext
    return "\n".join(l[2:] if l.startswith("> ") else l.lstrip(">") for l in qtext.split("\n"))


def body_part(prof, main, quote):
    cs = prof["cs"]
    st = prof["st"]
    if st == "plain":
        return text_leaf(plain_text(main, quote), "plain", cs, prof["cte"], prof.get("flowed", False))
    if st == "html":
        return text_leaf(html_text(main, quote, prof["html"], cs), "html", cs, prof["hcte"])
    style = {"gmail": "gmail", "outlook": "outlook"}.get(prof["html"], "generic")
    return multi("alternative", [text_leaf(plain_text(main, quote), "plain", cs, prof["cte"]),
                                 text_leaf(html_text(main, quote, prof["html"], cs), "html", cs, prof["hcte"])], style)


def attachments_for(entry, text):
    body = entry["body"]
    if body.get("attach") == "scan":
        return [b64_leaf("application/pdf", fake_pdf("Scansione"), "scansione_%d.pdf" % rng.randint(1, 300))]
    if body.get("attach") == "photo":
        return [b64_leaf("image/jpeg", fake_jpeg(), "IMG_%04d.jpg" % rng.randint(1000, 9999)) for _ in range(rng.randint(1, 3))]
    if body.get("attach") == "cv":
        return [b64_leaf("application/pdf", fake_pdf("Curriculum vitae"), "CV_%s_%s.pdf" % (entry["person"].first, slug(entry["person"].last).capitalize()))]
    low = text.lower()
    if ("allego" not in low and "in allegato" not in low) or rng.random() < 0.15:
        return []
    names = []
    for key, opts in ATTACH_NAMES.items():
        if key != "generic" and key in low:
            names.append(rng.choice(opts))
    if not names or rng.random() < 0.4:
        names.append(rng.choice(ATTACH_NAMES["generic"]))
    out = []
    for n in names[:3]:
        out.append(b64_leaf("application/pdf", fake_pdf(n), n))
    return out


def citizen_message(entry, seen, from_addr, to_hdr, pec=False):
    """Returns (Part, subject, msgid) of the citizen's own message."""
    prof = entry["profile"]
    person = entry["person"]
    subject, main, quote = compose(entry, seen)
    content = body_part(prof, main, quote)
    atts = attachments_for(entry, main)
    if atts:
        content = multi("mixed", [content] + atts, "gmail" if prof["mid"] == "gmail" else "generic")
    when = entry["inner_when"]
    msgid = message_id(prof["mid"], domain_of(from_addr), when)
    cs = prof["cs"]
    hs = ["Date: " + when.rfc2822(), "From: " + addr(person.display(), from_addr, cs), "To: " + to_hdr]
    if not pec and rng.random() < 0.05:
        hs.append("Cc: " + OFFICE_MAILBOX.get(entry["topic"], "protocollo") + "@" + DOMAIN)
    hs.append(hdr_text("Subject", subject, cs))
    hs.append("Message-ID: " + msgid)
    if entry["reply"]:
        hs.append("In-Reply-To: " + entry["reply_msgid"])
        hs.append("References: " + entry["reply_msgid"])
    hs.append("MIME-Version: 1.0")
    if prof.get("hdr"):
        hs.append("%s: %s" % prof["hdr"])
    if prof["mid"] == "outlook":
        hs.append("Thread-Index: " + base64.b64encode(rng.randbytes(22)).decode())
        hs.append("Content-Language: it")
    content.headers = hs + content.headers
    return content, subject, msgid


# --------------------------------------------------------------------------
# PEC envelopes and receipts
# --------------------------------------------------------------------------

def pec_identificativo(provider, when):
    return "opec%d.%s.%05d.%03d.%d.%d@%s" % (rng.randint(21000, 29999), when.stamp(), rng.randint(0, 99999),
                                            rng.randint(0, 999), rng.randint(1, 9), rng.randint(1, 99), provider)


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def daticert_xml(tipo, errore, mittente, destinatari, risposte, oggetto, gestore, when, ident, msgid,
                 ricevuta=None, consegna=None, errore_esteso=None):
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<postacert tipo="%s" errore="%s">' % (tipo, errore),
             "  <intestazione>",
             "    <mittente>%s</mittente>" % xml_escape(mittente)]
    for d, t in destinatari:
        lines.append('    <destinatari tipo="%s">%s</destinatari>' % (t, xml_escape(d)))
    lines += ["    <risposte>%s</risposte>" % xml_escape(risposte),
              "    <oggetto>%s</oggetto>" % xml_escape(oggetto),
              "  </intestazione>",
              "  <dati>",
              "    <gestore-emittente>%s</gestore-emittente>" % xml_escape(gestore),
              '    <data zona="%s">' % when.zona,
              "      <giorno>%s</giorno>" % when.giorno(),
              "      <ora>%s</ora>" % when.ora(),
              "    </data>",
              "    <identificativo>%s</identificativo>" % xml_escape(ident),
              "    <msgid>%s</msgid>" % xml_escape(msgid)]
    if ricevuta:
        lines.append('    <ricevuta tipo="%s"/>' % ricevuta)
    if consegna:
        lines.append("    <consegna>%s</consegna>" % xml_escape(consegna))
    if errore_esteso:
        lines.append("    <errore-esteso>%s</errore-esteso>" % xml_escape(errore_esteso))
    lines += ["  </dati>", "</postacert>", ""]
    return "\n".join(lines).encode("utf-8")


def daticert_leaf(xml_bytes, as_b64):
    hs = ['Content-Type: application/xml; name="daticert.xml"', 'Content-Disposition: inline; filename="daticert.xml"']
    if as_b64 or not all(b < 128 for b in xml_bytes):
        return Part(hs + ["Content-Transfer-Encoding: base64"], base64.encodebytes(xml_bytes))
    return Part(hs + ["Content-Transfer-Encoding: 7bit"], xml_bytes)


def notice_alt(text):
    html_body = "<html><head><title>%s</title></head><body>\n%s\n</body></html>\n" % (
        html.escape(fit_charset(text.split("\n")[0], "iso-8859-1")),
        "<br>\n".join(html.escape(fit_charset(l, "iso-8859-1"), quote=False) for l in text.split("\n")))
    return multi("alternative", [text_leaf(text, "plain", "iso-8859-1", "quoted-printable"),
                                 text_leaf(html_body, "html", "iso-8859-1", "quoted-printable")], "pec")


def signed(mixed_parts):
    mixed = multi("mixed", mixed_parts, "pec")
    sig = Part(['Content-Type: application/x-pkcs7-signature; name="smime.p7s"',
                'Content-Disposition: attachment; filename="smime.p7s"',
                "Content-Transfer-Encoding: base64"], base64.encodebytes(fake_signature()))
    proto = rng.choice(["application/x-pkcs7-signature", "application/pkcs7-signature"])
    sig.headers[0] = 'Content-Type: %s; name="smime.p7s"' % proto
    return multi("signed", [mixed, sig], "pec", params=' protocol="%s"; micalg=%s;' % (proto, rng.choice(["sha-256", "sha256"])),
                 preamble="This is an S/MIME signed message")


def rfc822_leaf(inner_bytes, name="postacert.eml"):
    hs = ['Content-Type: message/rfc822; name="%s"' % name, 'Content-Disposition: attachment; filename="%s"' % name]
    if not all(b < 128 for b in inner_bytes):
        hs.append("Content-Transfer-Encoding: 8bit")
    return Part(hs, inner_bytes)


def pec_transport(entry, seen):
    person = entry["person"]
    cdom, provider, gestore, as_b64 = person.pec_domain
    cert = entry["when"]
    entry["inner_when"] = entry.get("inner_when") or cert.plus(-rng.randint(3, 70))
    inner, subject, msgid = citizen_message(entry, seen, person.pec_addr, PEC_BOX, pec=True)
    inner_bytes = inner.render()
    ident = pec_identificativo(provider, cert)
    xml = daticert_xml("posta-certificata", "nessuno", person.pec_addr, [(PEC_BOX, "certificato")], person.pec_addr,
                       subject, gestore, cert, ident, msgid)
    notice = ("Messaggio di posta certificata\n\nIl giorno %s alle ore %s (%s) il messaggio\n\"%s\" è stato inviato da \"%s\"\n"
              "indirizzato a:\n%s\nIl messaggio originale è incluso in allegato.\nIdentificativo messaggio: %s\n"
              % (cert.giorno(), cert.ora(), cert.zona, subject, person.pec_addr, PEC_BOX, ident))
    top = signed([notice_alt(notice), daticert_leaf(xml, as_b64), rfc822_leaf(inner_bytes)])
    hs = ["Return-Path: <posta-certificata@%s>" % provider,
          "Delivered-To: " + URP_ADDR,
          received("smtp." + provider, cert, by="mx.pec.comune.borgoesempio.it", rcpt=PEC_BOX),
          "X-Riferimento-Message-ID: " + msgid,
          "X-Trasporto: posta-certificata",
          "Date: " + cert.rfc2822(),
          hdr_text("Subject", subject, "utf-8", prefix="POSTA CERTIFICATA: "),
          'From: "Per conto di: %s" <posta-certificata@%s>' % (person.pec_addr, provider),
          "Reply-To: " + person.pec_addr,
          "To: " + PEC_BOX,
          "Message-ID: <%s>" % ident,
          "MIME-Version: 1.0"]
    top.headers = hs + top.headers
    return top


def pec_anomaly(entry, seen):
    person = entry["person"]
    when = entry["when"]
    entry["inner_when"] = when.plus(-rng.randint(20, 400))
    inner, subject, msgid = citizen_message(entry, seen, person.addr, PEC_BOX)
    inner_bytes = (received("mail." + domain_of(person.addr), entry["inner_when"], by="mx.pec.gestorepa-esempio.it", rcpt=PEC_BOX)
                   + "\n").encode("ascii") + inner.render()
    provider = COMUNE_PEC_PROVIDER[0]
    notice = ("Anomalia nel messaggio\n\nIl giorno %s alle ore %s (%s) è stato ricevuto\nil messaggio \"%s\" proveniente da \"%s\"\n"
              "ed indirizzato a:\n%s\nTali dati non sono stati certificati per il seguente errore:\n"
              "il messaggio non è un messaggio di posta elettronica certificata.\n"
              "Il messaggio originale è incluso in allegato, per aprirlo cliccare sul file \"postacert.eml\".\n"
              % (when.giorno(), when.ora(), when.zona, subject, person.addr, PEC_BOX))
    top = signed([text_leaf(notice, "plain", "iso-8859-1", "quoted-printable"), rfc822_leaf(inner_bytes)])
    hs = ["Return-Path: <posta-certificata@%s>" % provider,
          "Delivered-To: " + URP_ADDR,
          received("smtp." + provider, when, by="mx.pec.comune.borgoesempio.it", rcpt=PEC_BOX),
          "X-Riferimento-Message-ID: " + msgid,
          "X-Trasporto: errore",
          "Date: " + when.rfc2822(),
          hdr_text("Subject", subject, "utf-8", prefix="ANOMALIA MESSAGGIO: "),
          'From: "Per conto di: %s" <posta-certificata@%s>' % (person.addr, provider),
          "Reply-To: " + person.addr,
          "To: " + PEC_BOX,
          "Message-ID: <%s>" % pec_identificativo(provider, when),
          "MIME-Version: 1.0"]
    top.headers = hs + top.headers
    return top


RECEIPT_KINDS = [
    # kind, X-Ricevuta, subject prefix, daticert tipo, errore, ricevuta tipo, sender side
    ("accettazione", "accettazione", "ACCETTAZIONE: ", "accettazione", "nessuno", None, "comune"),
    ("avvenuta-consegna-completa", "avvenuta-consegna", "CONSEGNA: ", "avvenuta-consegna", "nessuno", "completa", "dest"),
    ("avvenuta-consegna-breve", "avvenuta-consegna", "CONSEGNA: ", "avvenuta-consegna", "nessuno", "breve", "dest"),
    ("errore-consegna", "errore-consegna", "AVVISO DI MANCATA CONSEGNA: ", "errore-consegna", "no-dest", None, "dest"),
    ("presa-in-carico", "presa-in-carico", "PRESA IN CARICO: ", "presa-in-carico", "nessuno", None, "dest"),
    ("non-accettazione", "non-accettazione", "AVVISO DI NON ACCETTAZIONE: ", "non-accettazione", "altro", None, "comune"),
    ("preavviso-errore-consegna", "preavviso-errore-consegna", "PREAVVISO DI MANCATA CONSEGNA: ", "preavviso-errore-consegna", "altro", None, "comune"),
]
RECEIPT_SEQUENCE = ["accettazione", "avvenuta-consegna-completa", "accettazione", "avvenuta-consegna-breve",
                    "errore-consegna", "accettazione", "avvenuta-consegna-completa", "presa-in-carico",
                    "non-accettazione", "accettazione", "avvenuta-consegna-completa", "preavviso-errore-consegna",
                    "accettazione", "presa-in-carico", "avvenuta-consegna-completa", "errore-consegna",
                    "accettazione", "avvenuta-consegna-breve", "avvenuta-consegna-completa"]


def outgoing_subject(when):
    tmpl, topic = rng.choice(OUTGOING_PEC_SUBJECTS)
    return fill(tmpl, {"prot": "%07d" % rng.randint(1000, 26000), "num": str(rng.randint(100, 9000)),
                       "data": date_it(when.local.date() - dt.timedelta(days=rng.randint(5, 40)))}), topic


def pec_receipt(kind, when):
    k = [r for r in RECEIPT_KINDS if r[0] == kind][0]
    _, xric, prefix, tipo, errore, ricevuta, side = k
    person = Person(rng.choice(["private", "pro-edilizia", "pro-tributi"]))
    dest = person.pec_addr
    subject, topic = outgoing_subject(when)
    sent = when.plus(-rng.randint(2, 50) if kind in ("accettazione", "non-accettazione") else -rng.randint(30, 600))
    if kind == "preavviso-errore-consegna":
        sent = when.plus(-12 * 3600 - rng.randint(0, 600))
    out_msgid = "<%s.%s@pec.comune.borgoesempio.it>" % (sent.stamp(), "%08x" % rng.getrandbits(32))
    if side == "comune":
        provider, gestore = COMUNE_PEC_PROVIDER
    else:
        _, provider, gestore, _ = person.pec_domain
    ident = pec_identificativo(provider, when)
    consegna = dest if tipo in ("avvenuta-consegna", "errore-consegna") else None
    errest = {"errore-consegna": "5.1.1 - Utente non riconosciuto: casella del destinatario inesistente",
              "non-accettazione": "Il messaggio supera le dimensioni massime consentite (30 MB)",
              "preavviso-errore-consegna": "Il messaggio non è stato consegnato entro le prime 12 ore dall'invio"}.get(kind)
    xml = daticert_xml(tipo, errore, PEC_BOX, [(dest, "certificato")], PEC_BOX, subject, gestore, when, ident,
                       out_msgid, ricevuta=ricevuta, consegna=consegna, errore_esteso=errest)
    g, o, z = when.giorno(), when.ora(), when.zona
    texts = {
        "accettazione": "Ricevuta di accettazione\n\nIl giorno %s alle ore %s (%s) il messaggio\n\"%s\" proveniente da \"%s\"\ned indirizzato a:\n%s (\"posta certificata\")\nè stato accettato dal sistema ed inoltrato.\nIdentificativo messaggio: %s\n",
        "avvenuta-consegna": "Ricevuta di avvenuta consegna\n\nIl giorno %s alle ore %s (%s) il messaggio\n\"%s\" proveniente da \"%s\"\ned indirizzato a \"%s\"\nè stato consegnato nella casella di destinazione.\nIdentificativo messaggio: %s\n",
        "errore-consegna": "Avviso di mancata consegna\n\nIl giorno %s alle ore %s (%s) nel messaggio\n\"%s\" proveniente da \"%s\"\ned indirizzato a \"%s\"\nè stato rilevato un problema che ne impedisce la consegna a causa di:\n5.1.1 - Utente non riconosciuto.\nIl messaggio è stato rifiutato dal sistema.\nIdentificativo messaggio: %s\n",
        "presa-in-carico": "Ricevuta di presa in carico\n\nIl giorno %s alle ore %s (%s) il messaggio\n\"%s\" proveniente da \"%s\"\ned indirizzato a:\n%s\nè stato accettato dal sistema del gestore del destinatario.\nIdentificativo messaggio: %s\n",
        "non-accettazione": "Avviso di non accettazione\n\nIl giorno %s alle ore %s (%s) nel messaggio\n\"%s\" proveniente da \"%s\"\ned indirizzato a:\n%s\nè stato rilevato un problema che ne impedisce l'accettazione a causa di:\ndimensione del messaggio superiore al limite consentito.\nIl messaggio non è stato accettato.\nIdentificativo messaggio: %s\n",
        "preavviso-errore-consegna": "Avviso di mancata consegna per superamento dei tempi massimi previsti\n\nIl giorno %s alle ore %s (%s) il messaggio\n\"%s\" proveniente da \"%s\"\ned indirizzato a:\n%s\nnon è ancora stato consegnato nelle prime 12 ore dall'invio. Il sistema continuerà i tentativi di consegna.\nIdentificativo messaggio: %s\n",
    }
    notice = texts[tipo] % (g, o, z, subject, PEC_BOX, dest, ident)
    parts = [notice_alt(notice), daticert_leaf(xml, rng.random() < 0.6)]
    if ricevuta == "completa":
        out_body = ("Gentile %s %s,\n\n%s\n\nIl Responsabile del procedimento\nComune di Borgo Esempio - %s\n\n"
                    "Messaggio inviato da casella di posta elettronica certificata.\n"
                    % ("Sig.ra" if person.female else "Sig.", person.last, capitalize_first(URP_REPLIES[topic]), OFFICES[topic]))
        copy = multi("mixed", [text_leaf(out_body, "plain", "utf-8", "quoted-printable"),
                               b64_leaf("application/pdf", fake_pdf(subject), "Prot_%07d.pdf" % rng.randint(1000, 26000))])
        copy.headers = ["Date: " + sent.rfc2822(), "From: %s <%s>" % (COMUNE, PEC_BOX), "To: " + dest,
                        hdr_text("Subject", subject, "utf-8"), "Message-ID: " + out_msgid, "MIME-Version: 1.0"] + copy.headers
        parts.append(rfc822_leaf(copy.render()))
    top = signed(parts)
    hs = ["Return-Path: <posta-certificata@%s>" % provider,
          "Delivered-To: " + URP_ADDR,
          received("smtp." + provider, when, by="mx.pec.comune.borgoesempio.it", rcpt=PEC_BOX),
          "X-Ricevuta: " + xric]
    if ricevuta:
        hs.append("X-TipoRicevuta: " + ricevuta)
    if consegna or tipo == "presa-in-carico":
        hs.append("X-Mittente: " + PEC_BOX)
    hs += ["X-Riferimento-Message-ID: " + out_msgid,
           "Date: " + when.rfc2822(),
           hdr_text("Subject", subject, "utf-8", prefix=prefix),
           "From: posta-certificata@" + provider,
           "To: " + PEC_BOX,
           "Message-ID: <%s>" % ident,
           "MIME-Version: 1.0"]
    top.headers = hs + top.headers
    return top, "iso-8859-1"


# --------------------------------------------------------------------------
# Automatic replies, bounces, bulk, internal
# --------------------------------------------------------------------------

def urp_outgoing(when, person, topic=None):
    """An ordinary reply the URP sent: what auto-replies and bounces refer to."""
    topic = topic or rng.choice(TOPIC_IDS[:-1])
    body = rng.choice(BODIES[topic])
    subject = "R: " + fill(rng.choice(body["subjects"]), make_slots(person, when))
    sent = when.plus(-rng.randint(5, 900))
    while sent.local.weekday() >= 5 or sent.local.hour < 8 or sent.local.hour > 17:
        sent = sent.plus(-rng.randint(3, 9) * 3600)
    msgid = message_id("generic", DOMAIN, sent)
    text = urp_answer(topic, person)
    part = text_leaf(text, "plain", "utf-8", "quoted-printable")
    part.headers = ["Date: " + sent.rfc2822(), "From: URP Comune di Borgo Esempio <%s>" % URP_ADDR,
                    "To: " + addr(person.full, person.addr), hdr_text("Subject", subject, "utf-8"),
                    "Message-ID: " + msgid, "MIME-Version: 1.0"] + part.headers
    return part, subject, msgid


def auto_reply(idx, when):
    prefix, hkind, body, cs = AUTO_REPLY_TEMPLATES[idx % len(AUTO_REPLY_TEMPLATES)]
    org = None
    if hkind == "ticket":
        org = rng.choice(["Acquedotto Valle Esempio", "Gas Esempio Energia", "Trasporti Provinciali Esempio"])
    person = Person("org" if org else rng.choice(["private", "private", "pro-edilizia"]), org=org)
    out, out_subj, out_msgid = urp_outgoing(when, person)
    rientro = when.local.date() + dt.timedelta(days=rng.randint(3, 20))
    dal = when.local.date() - dt.timedelta(days=rng.randint(0, 5))
    slots = {"rientro": date_it(rientro), "rientro_en": rientro.strftime("%d/%m/%Y"), "dal": date_it(dal),
             "rientro_plus": date_it(rientro + dt.timedelta(days=1)), "tel": mobile(), "nome": person.first,
             "nome_completo": person.full, "org_domain": domain_of(person.addr), "cognome": person.last,
             "ticket": "%s%08d" % (when.stamp()[:8], rng.randint(0, 99999999)), "org": org or "",
             "nome_collega": "%s %s" % (rng.choice(FEMALE_NAMES), rng.choice(SURNAMES))}
    text = fill(body, slots)
    if hkind == "ticket":
        subject = "[Ticket#%s] Abbiamo ricevuto la sua richiesta - %s" % (slots["ticket"], out_subj)
    else:
        subject = prefix + out_subj
    if hkind == "exchange" and cs == "windows-1252":
        part = multi("alternative", [text_leaf(text, "plain", cs, "quoted-printable"),
                                     text_leaf(html_text(text, None, "outlook", cs), "html", cs, "quoted-printable")], "outlook")
    else:
        part = text_leaf(text, "plain", cs, rng.choice(["quoted-printable", "8bit"]))
    hs = ["Return-Path: <%s>" % person.addr, "Delivered-To: " + URP_ADDR,
          received("mail." + domain_of(person.addr), when),
          "Date: " + when.rfc2822(), "From: " + addr(person.full if not org else org, person.addr, cs),
          "To: URP Comune di Borgo Esempio <%s>" % URP_ADDR, hdr_text("Subject", subject, cs),
          "Message-ID: " + message_id("outlook" if hkind == "exchange" else "generic", domain_of(person.addr), when),
          "In-Reply-To: " + out_msgid, "References: " + out_msgid]
    if hkind == "exchange":
        hs += ["Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All",
               "X-MS-Exchange-Inbox-Rules-Loop: " + person.addr, "Content-Language: it-IT"]
    elif hkind == "zimbra":
        hs += ["Auto-Submitted: auto-replied (zimbra; vacation)", "X-Mailer: Zimbra 10.0.6_GA_4572"]
    elif hkind == "plain":
        hs += ["Auto-Submitted: auto-replied", "X-Autoreply: yes"]
    elif hkind == "ticket":
        hs += ["Auto-Submitted: auto-generated", "X-Ticket-ID: " + slots["ticket"], "X-Mailer: HelpDesk Esempio 5"]
    hs.append("MIME-Version: 1.0")
    part.headers = hs + part.headers
    return part, cs


def bounce(idx, when):
    kind = BOUNCE_TEMPLATES[idx % len(BOUNCE_TEMPLATES)]
    person = Person()
    out, out_subj, out_msgid = urp_outgoing(when, person)
    rdom = domain_of(person.addr)
    mta = "smtp." + rdom
    arrival = when.plus(-rng.randint(5, 300))
    if kind == "postfix-delay":
        arrival = when.plus(-4 * 3600 - rng.randint(0, 900))
    ip = "203.0.113.%d" % rng.randint(2, 250)
    status, action, diag = {
        "postfix-unknown": ("5.1.1", "failed", "smtp; 550 5.1.1 <%s>: Recipient address rejected: User unknown in virtual mailbox table" % person.addr),
        "gmail-like": ("5.1.1", "failed", "smtp; 550-5.1.1 The email account that you tried to reach does not exist"),
        "italian-full": ("5.2.2", "failed", "smtp; 552 5.2.2 Mailbox full - casella piena"),
        "exim-nodomain": ("5.1.2", "failed", "smtp; 550 5.1.2 Host or domain name not found"),
        "postfix-delay": ("4.4.1", "delayed", "Connection timed out"),
    }[kind]
    if kind == "postfix-unknown":
        sender = ("Mail Delivery System", "MAILER-DAEMON@" + mta)
        subject = "Undelivered Mail Returned to Sender"
        text = ("This is the mail system at host %s.\n\nI'm sorry to have to inform you that your message could not\n"
                "be delivered to one or more recipients. It's attached below.\n\nFor further assistance, please send mail to postmaster.\n\n"
                "If you do so, please include this problem report. You can\ndelete your own text from the attached returned message.\n\n"
                "                   The mail system\n\n<%s>: host mx.%s[%s] said: 550 5.1.1\n    <%s>: Recipient address rejected: User unknown in virtual mailbox\n    table (in reply to RCPT TO command)\n"
                % (mta, person.addr, rdom, ip, person.addr))
    elif kind == "gmail-like":
        sender = ("Mail Delivery Subsystem", "mailer-daemon@" + rdom)
        subject = "Delivery Status Notification (Failure)"
        text = ("Indirizzo non trovato\n\nIl tuo messaggio non è stato consegnato a %s perché l'indirizzo non è stato trovato "
                "o non è in grado di ricevere posta.\n\nLa risposta del server remoto è stata:\n550 5.1.1 The email account that you tried to reach does not exist.\n" % person.addr)
    elif kind == "italian-full":
        sender = ("Postmaster", "postmaster@" + rdom)
        subject = "Mancato recapito del messaggio"
        text = ("Questo è un messaggio generato automaticamente dal sistema di posta.\n\nIl messaggio inviato a %s non è stato recapitato "
                "perché la casella del destinatario è piena.\nIl messaggio originale è allegato.\n\n--- Mancato recapito / Delivery failure ---\n" % person.addr)
    elif kind == "exim-nodomain":
        sender = ("Mail Delivery System", "Mailer-Daemon@mx." + rdom)
        subject = "Mail delivery failed: returning message to sender"
        text = ("This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\n"
                "recipients. This is a permanent error. The following address(es) failed:\n\n  %s\n    Host or domain name not found.\n" % person.addr)
    else:
        sender = ("Mail Delivery System", "MAILER-DAEMON@" + mta)
        subject = "Delayed Mail (still being retried)"
        text = ("This is the mail system at host %s.\n\n####################################################################\n"
                "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n####################################################################\n\n"
                "Your message could not be delivered for more than 4 hour(s).\nIt will be retried until it is 5 day(s) old.\n\n"
                "<%s>: connect to mx.%s[%s]:25: Connection timed out\n" % (mta, person.addr, rdom, ip))
    cs = "us-ascii" if is_ascii(text) else "utf-8"
    dsn = ("Reporting-MTA: dns; %s\nX-Postfix-Queue-ID: 4%s\nArrival-Date: %s\n\n"
           "Final-Recipient: rfc822; %s\nOriginal-Recipient: rfc822;%s\nAction: %s\nStatus: %s\n"
           "Remote-MTA: dns; mx.%s\nDiagnostic-Code: %s\n"
           % (mta, "".join(rng.choice("BCDFGHJKLMNPQRSTVWXYZ0123456789") for _ in range(11)), arrival.rfc2822(comment=True),
              person.addr, person.addr, action, status, rdom, diag))
    if action == "delayed":
        dsn += "Will-Retry-Until: %s\n" % when.plus(5 * 86400).rfc2822()
    parts = [text_leaf(text, "plain", cs, "8bit", disposition="inline" if rng.random() < 0.5 else None, nowrap=True),
             Part(["Content-Type: message/delivery-status", "Content-Description: Delivery report"], dsn.encode("ascii"))]
    if kind in ("postfix-delay", "exim-nodomain"):
        hdrs = out.render().split(b"\n\n", 1)[0] + b"\n"
        parts.append(Part(["Content-Type: text/rfc822-headers", "Content-Description: Undelivered Message Headers"], hdrs))
    else:
        parts.append(Part(["Content-Type: message/rfc822", "Content-Description: Undelivered Message"], out.render()))
    top = multi("report", parts, "generic", params=" report-type=delivery-status;")
    hs = ["Return-Path: <>", "Delivered-To: " + URP_ADDR, received(mta, when), "Date: " + when.rfc2822(),
          "From: %s <%s>" % sender, "To: " + URP_ADDR, "Subject: " + subject,
          "Message-ID: <%s.%s@%s>" % (when.stamp(), "%06x" % rng.getrandbits(24), mta),
          "Auto-Submitted: auto-replied", "MIME-Version: 1.0"]
    top.headers = hs + top.headers
    return top, cs


def bulk(idx, when, issue):
    kind, fname, faddr, list_id, subj, paras, is_html, cs = NEWSLETTERS[idx % len(NEWSLETTERS)]
    slots = {"n": str(issue), "anno": str(when.local.year), "data": date_it(when.local.date() + dt.timedelta(days=rng.randint(7, 20))),
             "ver": "%d.%d.%d" % (when.local.year % 100, rng.randint(1, 12), rng.randint(0, 9)), "mese": MONTHS_IT[when.local.month - 1]}
    subject = fill(subj, slots)
    text = "\n\n".join(fill(p, slots) for p in paras)
    unsub_url = "https://%s/u/%s" % (domain_of(faddr), "%016x" % rng.getrandbits(64))
    if is_html:
        rich = ('<html><head><meta charset="%s"></head><body style="margin:0;background:#f4f4f4">\n'
                '<table width="100%%" cellpadding="0" cellspacing="0"><tr><td align="center">\n'
                '<table width="600" style="background:#ffffff;font-family:Helvetica,Arial,sans-serif">\n'
                '<tr><td style="padding:20px;font-size:20px;color:#004080"><b>%s</b></td></tr>\n%s\n'
                '<tr><td style="padding:20px;font-size:11px;color:#888888"><a href="%s">Disiscriviti</a> | <a href="%s">Preferenze</a></td></tr>\n'
                '</table></td></tr></table>\n<img src="https://%s/open/%s.gif" width="1" height="1" alt="">\n</body></html>\n') % (
            cs, html.escape(fname), "\n".join('<tr><td style="padding:8px 20px;font-size:14px">%s</td></tr>' % html.escape(fit_charset(p, cs), quote=False) for p in text.split("\n\n")),
            unsub_url, unsub_url, domain_of(faddr), "%012x" % rng.getrandbits(48))
        if rng.random() < 0.5:
            part = text_leaf(rich, "html", cs, "quoted-printable")
        else:
            part = multi("alternative", [text_leaf(text + "\n\nDisiscriviti: " + unsub_url, "plain", cs, "quoted-printable"),
                                         text_leaf(rich, "html", cs, "quoted-printable")])
    else:
        part = text_leaf(text, "plain", cs, rng.choice(["quoted-printable", "8bit", "base64"]))
    hs = ["Return-Path: <bounce-%s@%s>" % ("%010x" % rng.getrandbits(40), domain_of(faddr)), "Delivered-To: " + URP_ADDR,
          received("mta%d.%s" % (rng.randint(1, 9), domain_of(faddr)), when),
          "Date: " + when.rfc2822(), "From: " + addr(fname, faddr, cs), "To: " + URP_ADDR, hdr_text("Subject", subject, cs),
          "Message-ID: <%s.%s@%s>" % (when.stamp(), "%010x" % rng.getrandbits(40), domain_of(faddr))]
    if list_id:
        hs += ["List-Id: " + list_id,
               "List-Unsubscribe: <mailto:unsubscribe@%s?subject=unsubscribe>, <%s>" % (domain_of(faddr), unsub_url),
               "List-Unsubscribe-Post: List-Unsubscribe=One-Click"]
        if rng.random() < 0.5:
            hs.append("Precedence: " + rng.choice(["bulk", "list"]))
    else:
        hs.append("Precedence: bulk")
    hs += ["X-Mailer: Mailing Esempio 3.1", "MIME-Version: 1.0"]
    part.headers = hs + part.headers
    return part, cs, kind


def protocol_number(when):
    # progressive within the year (restarts on 1 January), at least seven digits
    doy = when.local.timetuple().tm_yday
    return "%07d" % (doy * 96 + when.local.hour * 4 + rng.randint(0, 3))


def internal(idx, when):
    if idx % 2 == 1:
        # protocol acknowledgement from the comune's own protocol system
        prot = protocol_number(when)
        person = Person()
        topic = rng.choice(TOPIC_IDS[:-1])
        orig_subj = fill(rng.choice(rng.choice(BODIES[topic])["subjects"]), make_slots(person, when))
        rec = when.plus(-rng.randint(600, 86400))
        subject = "%s - Prot. n. %s del %s - ricevuta di protocollazione" % (COMUNE, prot, when.giorno())
        text = ("Si comunica che il documento con oggetto \"%s\", pervenuto il %s da %s, è stato registrato al protocollo generale "
                "con numero %s del %s.\n\nClassificazione: %s\nAssegnato a: Ufficio %s\n\n"
                "Messaggio generato automaticamente, si prega di non rispondere.\n\n%s - Servizio Protocollo\n"
                % (orig_subj, rec.giorno(), person.addr, prot, when.giorno(), rng.choice(["1.6", "4.3", "6.5", "7.1", "10.4"]),
                   OFFICES[topic], COMUNE))
        cs = "utf-8"
        part = text_leaf(text, "plain", cs, "quoted-printable")
        frm = "Protocollo %s <noreply.protocollo@%s>" % (COMUNE, DOMAIN)
        kind = "protocol-ack"
        extra = ["X-Mailer: Protocollo Informatico Esempio 7.2"]
    else:
        local, dname, subj, body = INTERNAL_TEMPLATES[(idx // 2) % len(INTERNAL_TEMPLATES)]
        slots = {"nome": rng.choice(FEMALE_NAMES + MALE_NAMES), "anno1": str(when.local.year + 1),
                 "data": date_it(when.local.date() + dt.timedelta(days=(5 - when.local.weekday()) % 7 or 7))}
        subject = fill(subj, slots)
        text = fill(body, slots)
        cs = rng.choice(["utf-8", "windows-1252"])
        if cs == "windows-1252":
            part = multi("alternative", [text_leaf(text, "plain", cs, "quoted-printable"),
                                         text_leaf(html_text(text, None, "outlook", cs), "html", cs, "quoted-printable")], "outlook")
        else:
            part = text_leaf(text, "plain", cs, "8bit")
        frm = addr(dname, "%s@%s" % (local, DOMAIN), cs)
        kind = "internal-office"
        extra = ["X-Mailer: Microsoft Outlook 16.0"] if cs == "windows-1252" else []
    hs = ["Return-Path: <%s>" % frm.split("<")[-1].rstrip(">"), "Delivered-To: " + URP_ADDR,
          "Received: from mail.%s (mail.%s [10.10.1.%d])\n\tby mx1.%s (Postfix) with ESMTP id 4%s\n\tfor <%s>; %s"
          % (DOMAIN, DOMAIN, rng.randint(2, 60), DOMAIN, "%011X" % rng.getrandbits(44), URP_ADDR, when.plus(3).rfc2822(comment=True)),
          "Date: " + when.rfc2822(), "From: " + frm, "To: " + URP_ADDR, hdr_text("Subject", subject, cs),
          "Message-ID: " + message_id("generic", DOMAIN, when)] + extra + ["MIME-Version: 1.0"]
    part.headers = hs + part.headers
    return part, cs, kind

# --------------------------------------------------------------------------
# Planning and output
# --------------------------------------------------------------------------

TO_HEADERS = ["URP Comune di Borgo Esempio <%s>" % URP_ADDR, URP_ADDR, URP_ADDR,
              '"Ufficio Relazioni con il Pubblico" <%s>' % URP_ADDR, "URP <%s>" % URP_ADDR, "<%s>" % URP_ADDR]


def plan_citizen():
    entries = []
    for topic in TOPIC_IDS:
        n24, n25, npec = CITIZEN_PLAN[topic]
        months = SEASON.get(topic, DEFAULT_MONTHS)
        tl = []
        for year, n in ((2024, n24), (2025, n25)):
            for month in months_by_quota(n, months):
                tl.append({"topic": topic, "when": random_when(year, months, month=month, late_october=(topic == "cimiteri")),
                           "kind": "citizen"})
        tl.sort(key=lambda e: e["when"].epoch)
        for atopic, ayear in ANOMALY_PLAN:
            if atopic == topic:
                cands = [e for e in tl if e["when"].local.year == ayear and e["kind"] == "citizen"]
                rng.choice(cands)["kind"] = "citizen-pec-anomaly"
        for e in rng.sample([e for e in tl if e["kind"] == "citizen"], npec):
            e["kind"] = "citizen-pec"
        bodies = list(BODIES[topic])
        if len(tl) < len(bodies):
            raise SystemExit("topic %s: %d messages for %d bodies" % (topic, len(tl), len(bodies)))
        rng.shuffle(bodies)
        order = list(range(len(tl)))
        rng.shuffle(order)
        for k, i in enumerate(order):
            tl[i]["body"] = bodies[k % len(bodies)]
        # PEC is mostly formal: give PEC envelopes the formal/neutral bodies
        for e in tl:
            if e["kind"] == "citizen-pec" and (e["body"]["raw"] or e["body"]["style"] == "i"):
                for o in tl:
                    if o["kind"] == "citizen" and not o["body"]["raw"] and o["body"]["style"] != "i":
                        e["body"], o["body"] = o["body"], e["body"]
                        break
        entries += tl
    # Two messages straddle New Year: the year comes from the local date of the date that counts.
    pec25 = [e for e in entries if e["kind"] == "citizen-pec" and e["topic"] in ("rapporti-ente", "edilizia")
             and e["when"].local.year == 2025]
    edge = rng.choice(pec25)
    edge["when"] = When(dt.datetime(2025, 1, 1, 0, 0, 5))
    edge["inner_when"] = When(dt.datetime(2024, 12, 31, 23, 59, 41))
    mail25 = [e for e in entries if e["kind"] == "citizen" and e["topic"] in ("ambiente", "polizia-municipale")
              and e["when"].local.year == 2025]
    rng.choice(mail25)["when"] = When(dt.datetime(2025, 1, 1, 0, 31, 12))
    persons = []
    for e in entries:
        b = e["body"]
        if b["who"] in ("pro-edilizia", "pro-tributi", "pro-ing"):
            p = Person(b["who"])
        elif b["who"] == "org":
            p = Person("org", org=b["org"])
        elif persons and rng.random() < 0.08:
            p = rng.choice(persons)
        else:
            p = Person()
            persons.append(p)
        e["person"] = p
        pool = PEC_PROFILES if e["kind"] == "citizen-pec" else PROFILES
        names = list(pool)
        e["profile"] = pool[wchoice(names, [pool[n]["w"] for n in names])]
        e["reply"] = (e["kind"] == "citizen" and e["topic"] != "altro" and rng.random() < 0.13)
        e["slots"] = make_slots(p, e["when"])
    return entries


def build_all():
    records = []   # (epoch, order, bytes, manifest-entry)
    seen = {}
    for e in plan_citizen():
        p = e["person"]
        if e["kind"] == "citizen-pec":
            part = pec_transport(e, seen)
            channel = "pec"
        elif e["kind"] == "citizen-pec-anomaly":
            part = pec_anomaly(e, seen)
            channel = "pec"
        else:
            e["inner_when"] = e["when"]
            part, _, _ = citizen_message(e, seen, p.addr, rng.choice(TO_HEADERS))
            part.headers = ["Return-Path: <%s>" % p.addr, "Delivered-To: " + URP_ADDR,
                            received("mail." + domain_of(p.addr), e["when"])] + part.headers
            channel = "email"
        kind = e["kind"]
        if kind == "citizen" and e["reply"]:
            kind = "citizen-reply"
        records.append((e["when"], part.render(), {"kind": kind, "expected_topic": e["topic"], "expected_exclusion": None,
                                                   "channel": channel, "date": e["when"].iso(), "charset": e["profile"]["cs"]}))
    issues = {}
    for excl, (n24, n25) in EXCLUDED_PLAN.items():
        wd = excl in ("internal", "pec-receipt")
        whens = [random_when(2024, DEFAULT_MONTHS, weekdays_only=wd) for _ in range(n24)] + \
            [random_when(2025, DEFAULT_MONTHS, weekdays_only=wd) for _ in range(n25)]
        whens.sort(key=lambda w: w.epoch)
        for idx, when in enumerate(whens):
            if excl == "pec-receipt":
                kind = RECEIPT_SEQUENCE[idx % len(RECEIPT_SEQUENCE)]
                part, cs = pec_receipt(kind, when)
                kind, channel = "pec-receipt-" + kind, "pec"
            elif excl == "auto-reply":
                part, cs = auto_reply(idx, when)
                kind, channel = "auto-reply", "email"
            elif excl == "bounce":
                part, cs = bounce(idx, when)
                kind, channel = "bounce-dsn", "email"
            elif excl == "bulk":
                t = idx % len(NEWSLETTERS)
                issues[t] = issues.get(t, rng.randint(3, 40)) + 1
                part, cs, kind = bulk(idx, when, issues[t])
                channel = "email"
            else:
                part, cs, kind = internal(idx, when)
                channel = "email"
            records.append((when, part.render(), {"kind": kind, "expected_topic": None, "expected_exclusion": excl,
                                                  "channel": channel, "date": when.iso(), "charset": cs}))
    records.sort(key=lambda r: r[0].epoch)   # stable: equal times keep generation order
    return records


def write_output(out_dir, records):
    mbox = out_dir / "mailbox"
    if mbox.exists():
        shutil.rmtree(mbox)
    for sub in ("cur", "new", "tmp"):
        (mbox / sub).mkdir(parents=True)
    manifest = []
    for seq, (when, data, meta) in enumerate(records, 1):
        name = "%d.M%04dP1.urp-sample:2,S" % (when.epoch, seq)
        (mbox / "cur" / name).write_bytes(data)
        entry = {"file": "cur/" + name}
        entry.update(meta)
        manifest.append(entry)
    with open(out_dir / "mailbox-manifest.json", "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def pct(a, b):
    if a == 0:
        return "n/a"
    return "%+.1f%%" % ((b - a) * 100.0 / a)


def summary(manifest):
    years = ["2024", "2025"]
    y = lambda m: m["date"][:4]
    lines = []
    lines.append("| | 2024 | 2025 | Δ% | Total |")
    lines.append("|---|---:|---:|---:|---:|")
    for label, pred in (("Messages", lambda m: True), ("Citizen mail (counted)", lambda m: m["expected_topic"]),
                        ("Excluded", lambda m: m["expected_exclusion"])):
        c = [sum(1 for m in manifest if pred(m) and y(m) == yr) for yr in years]
        lines.append("| %s | %d | %d | %s | %d |" % (label, c[0], c[1], pct(c[0], c[1]), sum(c)))
    lines.append("")
    lines.append("| Topic | 2024 | 2025 | Δ% | Total | of which PEC |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for t in TOPIC_IDS:
        c = [sum(1 for m in manifest if m["expected_topic"] == t and y(m) == yr) for yr in years]
        pec = sum(1 for m in manifest if m["expected_topic"] == t and m["channel"] == "pec")
        lines.append("| `%s` | %d | %d | %s | %d | %d |" % (t, c[0], c[1], pct(c[0], c[1]), sum(c), pec))
    lines.append("")
    lines.append("| Exclusion | 2024 | 2025 | Total |")
    lines.append("|---|---:|---:|---:|")
    for x in EXCLUDED_PLAN:
        c = [sum(1 for m in manifest if m["expected_exclusion"] == x and y(m) == yr) for yr in years]
        lines.append("| `%s` | %d | %d | %d |" % (x, c[0], c[1], sum(c)))
    lines.append("")
    lines.append("| Channel | citizen 2024 | citizen 2025 | excluded 2024 | excluded 2025 | Total |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for ch in ("email", "pec"):
        c = [sum(1 for m in manifest if m["channel"] == ch and m["expected_topic"] and y(m) == yr) for yr in years]
        x = [sum(1 for m in manifest if m["channel"] == ch and m["expected_exclusion"] and y(m) == yr) for yr in years]
        lines.append("| %s | %d | %d | %d | %d | %d |" % (ch, c[0], c[1], x[0], x[1], sum(c) + sum(x)))
    lines.append("")
    lines.append("| Kind | Count |")
    lines.append("|---|---:|")
    kinds = {}
    for m in manifest:
        kinds[m["kind"]] = kinds.get(m["kind"], 0) + 1
    for k in sorted(kinds):
        lines.append("| `%s` | %d |" % (k, kinds[k]))
    lines.append("")
    lines.append("| Charset (main text part) | Count |")
    lines.append("|---|---:|")
    cs = {}
    for m in manifest:
        cs[m["charset"]] = cs.get(m["charset"], 0) + 1
    for k in sorted(cs):
        lines.append("| %s | %d |" % (k, cs[k]))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "samples",
                    help="output directory (default: samples/ of the repository)")
    ap.add_argument("--quiet", action="store_true", help="do not print the summary tables")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = write_output(args.out, build_all())
    if not args.quiet:
        print(summary(manifest))


if __name__ == "__main__":
    main()
