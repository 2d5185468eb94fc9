// Browser side of the voice channel: the Twilio Media Streams protocol over a WebSocket, with the
// microphone as the caller. Sends 16 kHz 16-bit PCM ("audio/l16") in 20 ms frames, plays the reply
// frames in order, echoes each `mark` when its audio has played and stops playback on `clear`.
"use strict";

(function () {
  const RATE = 16000;
  const FRAME = RATE / 50; // 20 ms
  const config = JSON.parse(document.getElementById("voice-config").textContent);
  const button = document.getElementById("call");
  const statusLine = document.getElementById("status");
  const level = document.getElementById("level");
  const keypad = document.getElementById("keypad");

  let call = null;

  function setStatus(text) {
    statusLine.textContent = text;
  }

  function randomId(prefix) {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function toBase64(int16) {
    const bytes = new Uint8Array(int16.buffer, int16.byteOffset, int16.byteLength);
    let binary = "";
    for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary);
  }

  function fromBase64(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length - (binary.length % 2));
    for (let i = 0; i < bytes.length; i++) bytes[i] = binary.charCodeAt(i);
    return new Int16Array(bytes.buffer);
  }

  class Call {
    constructor() {
      this.streamSid = randomId("MZ");
      this.sequence = 0;
      this.playAt = 0;
      this.sources = new Set();
      this.markTimers = new Set();
    }

    async start() {
      // Each call needs a fresh single-use ticket; a busy gateway says why here, before the microphone opens.
      const base = location.pathname.replace(/\/?$/, "/");
      const response = await fetch(`${base}${config.ticketUrl}`, { method: "POST", cache: "no-store" });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok || !answer.ticket) throw new Error(answer.message || `the gateway answered ${response.status}`);
      this.media = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
      this.context = new AudioContext({ sampleRate: RATE });
      await this.context.audioWorklet.addModule("static/capture-worklet.js");
      const source = this.context.createMediaStreamSource(this.media);
      this.capture = new AudioWorkletNode(this.context, "capture-processor", {
        processorOptions: { frameSamples: FRAME },
      });
      source.connect(this.capture);
      const scheme = location.protocol === "https:" ? "wss:" : "ws:";
      const url = `${scheme}//${location.host}${base}${config.stream}?ticket=${encodeURIComponent(answer.ticket)}`;
      this.ws = new WebSocket(url);
      this.ws.onopen = () => this.onOpen();
      this.ws.onmessage = (event) => this.onMessage(JSON.parse(event.data));
      this.ws.onclose = (event) => this.onClose(event);
      this.capture.port.onmessage = (event) => this.sendFrame(event.data);
    }

    send(message) {
      if (this.ws && this.ws.readyState === WebSocket.OPEN) {
        message.sequenceNumber = String(++this.sequence);
        message.streamSid = this.streamSid;
        this.ws.send(JSON.stringify(message));
      }
    }

    onOpen() {
      this.send({ event: "connected", protocol: "Call", version: "1.0.0" });
      this.send({
        event: "start",
        start: {
          streamSid: this.streamSid,
          callSid: randomId("CA"),
          customParameters: { caller: "browser" },
          mediaFormat: { encoding: "audio/l16", sampleRate: RATE, channels: 1 },
        },
      });
      setStatus("Connected: talk any time.");
    }

    sendFrame(samples) {
      const pcm = new Int16Array(samples.length);
      let peak = 0;
      for (let i = 0; i < samples.length; i++) {
        const s = Math.max(-1, Math.min(1, samples[i]));
        pcm[i] = s < 0 ? s * 0x8000 : s * 0x7fff;
        peak = Math.max(peak, Math.abs(s));
      }
      level.style.width = `${Math.min(100, peak * 200)}%`;
      this.chunk = (this.chunk || 0) + 1;
      const media = { track: "inbound", chunk: String(this.chunk), timestamp: String(this.chunk * 20), payload: toBase64(pcm) };
      this.send({ event: "media", media });
    }

    onMessage(message) {
      if (message.event === "media") {
        this.play(fromBase64(message.media.payload));
      } else if (message.event === "mark") {
        // Echo the mark once everything queued before it has been played, as Twilio does.
        const delay = Math.max(0, (this.playAt - this.context.currentTime) * 1000);
        const timer = setTimeout(() => {
          this.markTimers.delete(timer);
          this.send({ event: "mark", mark: { name: message.mark.name } });
          if (this.playAt <= this.context.currentTime) setStatus("Listening…");
        }, delay);
        this.markTimers.add(timer);
      } else if (message.event === "clear") {
        this.stopPlayback();
        setStatus("Listening…");
      }
    }

    play(pcm) {
      if (!pcm.length) return;
      const buffer = this.context.createBuffer(1, pcm.length, RATE);
      const channel = buffer.getChannelData(0);
      for (let i = 0; i < pcm.length; i++) channel[i] = pcm[i] / 32768;
      const node = this.context.createBufferSource();
      node.buffer = buffer;
      node.connect(this.context.destination);
      this.playAt = Math.max(this.playAt, this.context.currentTime + 0.05);
      node.start(this.playAt);
      this.playAt += buffer.duration;
      this.sources.add(node);
      node.onended = () => this.sources.delete(node);
      setStatus("Assistant speaking…");
    }

    stopPlayback() {
      for (const node of this.sources) node.stop();
      this.sources.clear();
      this.playAt = 0;
    }

    dtmf(digit) {
      this.send({ event: "dtmf", dtmf: { track: "inbound_track", digit } });
    }

    hangUp() {
      this.send({ event: "stop", stop: {} });
      this.cleanUp();
    }

    onClose(event) {
      setStatus(event.reason ? `Call ended: ${event.reason}` : "Call ended.");
      this.cleanUp();
      resetButton();
    }

    cleanUp() {
      for (const timer of this.markTimers) clearTimeout(timer);
      this.markTimers.clear();
      this.stopPlayback();
      if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close();
      if (this.media) this.media.getTracks().forEach((track) => track.stop());
      if (this.context && this.context.state !== "closed") this.context.close();
      level.style.width = "0";
    }
  }

  function resetButton() {
    call = null;
    button.textContent = "Call";
    button.classList.remove("active");
  }

  button.addEventListener("click", async () => {
    if (call) {
      call.hangUp();
      setStatus("Call ended.");
      resetButton();
      return;
    }
    call = new Call();
    button.textContent = "Hang up";
    button.classList.add("active");
    setStatus("Connecting…");
    try {
      await call.start();
    } catch (error) {
      setStatus(`Could not start the call: ${error.message}`);
      call.cleanUp();
      resetButton();
    }
  });

  for (const digit of ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"]) {
    const key = document.createElement("button");
    key.type = "button";
    key.textContent = digit;
    key.addEventListener("click", () => call && call.dtmf(digit));
    keypad.appendChild(key);
  }
})();
